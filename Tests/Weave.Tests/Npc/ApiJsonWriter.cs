using System.Text.Json;
using Weave.Npc;

namespace Weave.Tests.Npc;

/// <summary>Pods, namespaces and policies written as the API server sends them, for the parsers' round trips and mutations.</summary>
internal static class ApiJsonWriter
{
    public static byte[] Write(NetworkPolicy policy) => Write(w =>
    {
        w.WriteString("apiVersion", "networking.k8s.io/v1");
        w.WriteString("kind", "NetworkPolicy");
        Metadata(w, policy.Namespace, policy.Name, null);
        w.WriteStartObject("spec");
        w.WritePropertyName("podSelector");
        Selector(w, policy.PodSelector);
        if (policy.DeclaredTypes != PolicyTypes.None)
        {
            w.WriteStartArray("policyTypes");
            foreach (PolicyTypes type in new[] { PolicyTypes.Ingress, PolicyTypes.Egress }.Where(t => policy.DeclaredTypes.HasFlag(t)))
            {
                w.WriteStringValue(type.ToString());
            }
            w.WriteEndArray();
        }
        Rules(w, "ingress", "from", policy.Ingress);
        Rules(w, "egress", "to", policy.Egress);
        w.WriteEndObject();
    });

    public static byte[] Write(Pod pod) => Write(w =>
    {
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Pod");
        Metadata(w, pod.Namespace, pod.Name, pod.Labels);
        w.WriteStartObject("spec");
        w.WriteString("nodeName", pod.NodeName);
        w.WriteBoolean("hostNetwork", pod.HostNetwork);
        w.WriteStartArray("containers");
        w.WriteStartObject();
        w.WriteString("name", "main");
        w.WriteStartArray("ports");
        foreach (ContainerPort port in pod.Ports)
        {
            w.WriteStartObject();
            if (port.Name is not null)
            {
                w.WriteString("name", port.Name);
            }
            w.WriteNumber("containerPort", port.Number);
            w.WriteString("protocol", port.Protocol.ToString().ToUpperInvariant());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("status");
        w.WriteString("phase", "Running");
        w.WriteStartArray("podIPs");
        foreach (System.Net.IPAddress address in pod.Addresses)
        {
            w.WriteStartObject();
            w.WriteString("ip", address.ToString());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static byte[] Write(ClusterNamespace ns) => Write(w =>
    {
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Namespace");
        Metadata(w, null, ns.Name, ns.Labels);
    });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static void Metadata(Utf8JsonWriter w, string? ns, string name, IReadOnlyDictionary<string, string>? labels)
    {
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        if (ns is not null)
        {
            w.WriteString("namespace", ns);
        }
        w.WriteString("resourceVersion", "42");
        if (labels is not null)
        {
            w.WritePropertyName("labels");
            Labels(w, labels);
        }
        w.WriteEndObject();
    }

    private static void Labels(Utf8JsonWriter w, IReadOnlyDictionary<string, string> labels)
    {
        w.WriteStartObject();
        foreach ((string key, string value) in labels)
        {
            w.WriteString(key, value);
        }
        w.WriteEndObject();
    }

    private static void Selector(Utf8JsonWriter w, LabelSelector selector)
    {
        w.WriteStartObject();
        if (selector.MatchLabels.Count > 0)
        {
            w.WritePropertyName("matchLabels");
            Labels(w, selector.MatchLabels);
        }
        if (!selector.MatchExpressions.IsEmpty)
        {
            w.WriteStartArray("matchExpressions");
            foreach (LabelRequirement r in selector.MatchExpressions)
            {
                w.WriteStartObject();
                w.WriteString("key", r.Key);
                w.WriteString("operator", r.Operator.ToString());
                if (!r.Values.IsEmpty)
                {
                    w.WriteStartArray("values");
                    foreach (string value in r.Values)
                    {
                        w.WriteStringValue(value);
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void Rules(Utf8JsonWriter w, string name, string peersName, IEnumerable<PolicyRule> rules)
    {
        w.WriteStartArray(name);
        foreach (PolicyRule rule in rules)
        {
            w.WriteStartObject();
            w.WriteStartArray(peersName);
            foreach (PolicyPeer peer in rule.Peers)
            {
                Peer(w, peer);
            }
            w.WriteEndArray();
            w.WriteStartArray("ports");
            foreach (PolicyPort port in rule.Ports)
            {
                Port(w, port);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Peer(Utf8JsonWriter w, PolicyPeer peer)
    {
        w.WriteStartObject();
        if (peer.PodSelector is not null)
        {
            w.WritePropertyName("podSelector");
            Selector(w, peer.PodSelector);
        }
        if (peer.NamespaceSelector is not null)
        {
            w.WritePropertyName("namespaceSelector");
            Selector(w, peer.NamespaceSelector);
        }
        if (peer.IpBlock is not null)
        {
            w.WriteStartObject("ipBlock");
            w.WriteString("cidr", peer.IpBlock.Cidr.ToString());
            w.WriteStartArray("except");
            foreach (System.Net.IPNetwork except in peer.IpBlock.Except)
            {
                w.WriteStringValue(except.ToString());
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Port(Utf8JsonWriter w, PolicyPort port)
    {
        w.WriteStartObject();
        w.WriteString("protocol", port.Protocol.ToString().ToUpperInvariant());
        if (port.Name is not null)
        {
            w.WriteString("port", port.Name);
        }
        else if (port.Number is int number)
        {
            w.WriteNumber("port", number);
        }
        if (port.EndPort is int end)
        {
            w.WriteNumber("endPort", end);
        }
        w.WriteEndObject();
    }
}
