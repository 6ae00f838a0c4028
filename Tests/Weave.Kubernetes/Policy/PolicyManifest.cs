using System.Text.Json.Nodes;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// The suite's policies as <c>networking.k8s.io/v1</c> objects for <c>kubectl apply</c>, in JSON
/// (which kubectl reads as YAML): built as a tree, so no quoting can go wrong.
/// </summary>
internal static class PolicyManifest
{
    /// <summary>A <c>v1 List</c> of the policies: one <c>kubectl apply</c> for a whole scenario.</summary>
    public static string Render(IEnumerable<NetworkPolicy> policies) =>
        new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray([.. policies.Select(Object)]),
        }.ToJsonString();

    public static JsonObject Object(NetworkPolicy policy)
    {
        var spec = new JsonObject { ["podSelector"] = Selector(policy.PodSelector) };
        if (policy.Types.Count > 0)
        {
            spec["policyTypes"] = new JsonArray([.. policy.Types.Select(t => JsonValue.Create(t.ToString()))]);
        }
        if (policy.Ingress.Count > 0)
        {
            spec["ingress"] = new JsonArray([.. policy.Ingress.Select(r => Rule(r, "from"))]);
        }
        if (policy.Egress.Count > 0)
        {
            spec["egress"] = new JsonArray([.. policy.Egress.Select(r => Rule(r, "to"))]);
        }
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["namespace"] = policy.Namespace, ["name"] = policy.Name },
            ["spec"] = spec,
        };
    }

    private static JsonObject Rule(Rule rule, string peersField)
    {
        var json = new JsonObject();
        if (rule.Peers.Count > 0)
        {
            json[peersField] = new JsonArray([.. rule.Peers.Select(Peer)]);
        }
        if (rule.Ports.Count > 0)
        {
            json["ports"] = new JsonArray([.. rule.Ports.Select(Port)]);
        }
        return json;
    }

    private static JsonObject Peer(Peer peer)
    {
        var json = new JsonObject();
        if (peer.Pods is { } pods)
        {
            json["podSelector"] = Selector(pods);
        }
        if (peer.Namespaces is { } namespaces)
        {
            json["namespaceSelector"] = Selector(namespaces);
        }
        if (peer.Block is { } block)
        {
            var ipBlock = new JsonObject { ["cidr"] = block.Cidr };
            if (block.Except.Count > 0)
            {
                ipBlock["except"] = new JsonArray([.. block.Except.Select(e => JsonValue.Create(e))]);
            }
            json["ipBlock"] = ipBlock;
        }
        return json;
    }

    private static JsonObject Port(PolicyPort port)
    {
        var json = new JsonObject();
        if (port.Protocol is { } protocol)
        {
            json["protocol"] = protocol == Protocol.Tcp ? "TCP" : "UDP";
        }
        if (port.Number is { } number)
        {
            json["port"] = number;
        }
        else if (port.Name is { } name)
        {
            json["port"] = name;
        }
        return json;
    }

    private static JsonObject Selector(Selector selector)
    {
        var json = new JsonObject();
        if (selector.MatchLabels.Count > 0)
        {
            var labels = new JsonObject();
            foreach ((string key, string value) in selector.MatchLabels)
            {
                labels[key] = value;
            }
            json["matchLabels"] = labels;
        }
        if (selector.Expressions.Count > 0)
        {
            json["matchExpressions"] = new JsonArray([.. selector.Expressions.Select(e =>
            {
                var expression = new JsonObject { ["key"] = e.Key, ["operator"] = e.Operator };
                if (e.Values.Count > 0)
                {
                    expression["values"] = new JsonArray([.. e.Values.Select(v => JsonValue.Create(v))]);
                }
                return expression;
            })]);
        }
        return json;
    }
}
