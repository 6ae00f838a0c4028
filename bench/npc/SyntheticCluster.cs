using System.Globalization;
using System.Text.Json;

namespace Weave.Bench.Npc;

/// <summary>
/// Namespaces, pods and NetworkPolicies as the API server sends them, made up deterministically:
/// pods spread over nodes, namespaces and labels; policies of every kind of peer and port (pod and
/// namespace selectors, both together, ipBlock with except, numbered and named ports, egress).
/// </summary>
internal static class SyntheticCluster
{
    public const string LocalNode = "node-0";

    public static JsonElement Namespace(int i) => Write(w =>
    {
        Meta(w, null, Ns(i), [("team", "t" + (i % 5).ToString(CultureInfo.InvariantCulture)), ("env", i % 2 == 0 ? "prod" : "dev")]);
    });

    public static string Ns(int i) => "ns" + (i % 20).ToString(CultureInfo.InvariantCulture);

    public static string PodAddress(int i) => $"10.32.{i / 250}.{i % 250 + 2}";

    /// <summary>Pod <paramref name="i"/>: namespace ns(i mod 20), app a(i/20 mod 50), tier t(i mod 4), on node-(i mod nodes).</summary>
    public static JsonElement Pod(int i, int nodes, string? app = null) =>
        Pod(Ns(i), "p" + i.ToString(CultureInfo.InvariantCulture), PodAddress(i), "node-" + (i % nodes).ToString(CultureInfo.InvariantCulture),
            [("app", app ?? "a" + (i / 20 % 50).ToString(CultureInfo.InvariantCulture)), ("tier", "t" + (i % 4).ToString(CultureInfo.InvariantCulture))]);

    public static JsonElement Pod(string ns, string name, string address, string node, (string, string)[] labels) => Write(w =>
    {
        Meta(w, ns, name, labels);
        w.WriteStartObject("spec");
        w.WriteString("nodeName", node);
        w.WriteStartArray("containers");
        w.WriteStartObject();
        w.WriteString("name", "main");
        w.WriteStartArray("ports");
        foreach ((string portName, int number) in (ReadOnlySpan<(string, int)>)[("http", 8080), ("metrics", 9090)])
        {
            w.WriteStartObject();
            w.WriteString("name", portName);
            w.WriteNumber("containerPort", number);
            w.WriteString("protocol", "TCP");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("status");
        w.WriteString("phase", "Running");
        w.WriteString("podIP", address);
        w.WriteStartArray("podIPs");
        w.WriteStartObject();
        w.WriteString("ip", address);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>
    /// Policy <paramref name="j"/> in ns(j mod 20), selecting app a(j mod 50) (one pod in 1,000):
    /// ingress from a tier of its namespace, and from an app of the namespaces of a team, on a
    /// numbered port of its own and a named port; every 5th also isolates egress (DNS over UDP to
    /// outside the pod range); every 40th is a default deny of ns0.
    /// </summary>
    public static JsonElement Policy(int j) => Write(w =>
    {
        string n = j.ToString(CultureInfo.InvariantCulture);
        Meta(w, Ns(j), "np" + n, []);
        w.WriteStartObject("spec");
        if (j % 40 == 0)
        {
            w.WriteStartObject("podSelector");
            w.WriteEndObject();
            w.WriteStartArray("policyTypes");
            w.WriteStringValue("Ingress");
            w.WriteEndArray();
            w.WriteEndObject();
            return;
        }
        w.WriteStartObject("podSelector");
        Labels(w, "matchLabels", [("app", "a" + (j % 50).ToString(CultureInfo.InvariantCulture))]);
        w.WriteEndObject();
        w.WriteStartArray("ingress");
        w.WriteStartObject();
        w.WriteStartArray("from");
        w.WriteStartObject();
        w.WriteStartObject("podSelector");
        Labels(w, "matchLabels", [("tier", "t" + (j / 3 % 4).ToString(CultureInfo.InvariantCulture))]);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteStartObject("namespaceSelector");
        Labels(w, "matchLabels", [("team", "t" + (j % 5).ToString(CultureInfo.InvariantCulture))]);
        w.WriteEndObject();
        w.WriteStartObject("podSelector");
        Labels(w, "matchLabels", [("app", "a" + ((j + 1) % 50).ToString(CultureInfo.InvariantCulture))]);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("ports");
        w.WriteStartObject();
        w.WriteNumber("port", 8000 + j % 97);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("port", "metrics");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        if (j % 5 == 4)
        {
            w.WriteStartArray("policyTypes");
            w.WriteStringValue("Ingress");
            w.WriteStringValue("Egress");
            w.WriteEndArray();
            w.WriteStartArray("egress");
            w.WriteStartObject();
            w.WriteStartArray("to");
            w.WriteStartObject();
            w.WriteStartObject("ipBlock");
            w.WriteString("cidr", "10.0.0.0/8");
            w.WriteStartArray("except");
            w.WriteStringValue("10.32.0.0/12");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("ports");
            w.WriteStartObject();
            w.WriteString("protocol", "UDP");
            w.WriteNumber("port", 53);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    /// <summary>
    /// A policy of namespace <paramref name="ns"/> isolating app=server for ingress with a rule of
    /// its own: from the address <paramref name="from"/> (an ipBlock /32) on <paramref name="port"/>.
    /// </summary>
    public static JsonElement ServerPolicy(string ns, string name, string from, int port) => Write(w =>
    {
        Meta(w, ns, name, []);
        w.WriteStartObject("spec");
        w.WriteStartObject("podSelector");
        Labels(w, "matchLabels", [("app", "server")]);
        w.WriteEndObject();
        w.WriteStartArray("ingress");
        w.WriteStartObject();
        w.WriteStartArray("from");
        w.WriteStartObject();
        w.WriteStartObject("ipBlock");
        w.WriteString("cidr", from + "/32");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("ports");
        w.WriteStartObject();
        w.WriteNumber("port", port);
        w.WriteEndObject();
        if (port == 9999)
        {
            w.WriteStartObject();
            w.WriteNumber("port", 5201);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void Meta(Utf8JsonWriter w, string? ns, string name, (string, string)[] labels)
    {
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        if (ns is not null)
        {
            w.WriteString("namespace", ns);
        }
        w.WriteString("uid", Guid.NewGuid().ToString());
        Labels(w, "labels", labels);
        w.WriteEndObject();
    }

    private static void Labels(Utf8JsonWriter w, string property, (string Key, string Value)[] labels)
    {
        w.WriteStartObject(property);
        foreach ((string key, string value) in labels)
        {
            w.WriteString(key, value);
        }
        w.WriteEndObject();
    }

    private static JsonElement Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }
}
