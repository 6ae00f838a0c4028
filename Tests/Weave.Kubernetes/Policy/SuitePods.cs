namespace Weave.Kubernetes.Policy;

/// <summary>
/// The suite's layout, as in upstream's NetworkPolicy e2e tests: namespaces x, y and z, each with
/// pods a, b and c, spread over both nodes, so most pairs cross the mesh and some stay on one
/// bridge. Labels and container ports are chosen so that every kind of selector and named port
/// has something to tell apart.
/// </summary>
internal static class SuitePods
{
    public static readonly string[] Namespaces = ["x", "y", "z"];

    public static readonly string[] Names = ["a", "b", "c"];

    /// <summary>Labels at the start: <c>ns</c> everywhere, <c>team</c> on x and y only (for Exists and NotIn).</summary>
    public static IReadOnlyDictionary<string, string> NamespaceLabels(string ns) => ns switch
    {
        "x" => new Dictionary<string, string> { ["ns"] = "x", ["team"] = "blue" },
        "y" => new Dictionary<string, string> { ["ns"] = "y", ["team"] = "red" },
        _ => new Dictionary<string, string> { ["ns"] = ns },
    };

    /// <summary>Labels at the start: <c>pod</c> everywhere, <c>tier</c> on a and b only.</summary>
    public static IReadOnlyDictionary<string, string> PodLabels(string name) => name switch
    {
        "a" => new Dictionary<string, string> { ["pod"] = "a", ["tier"] = "web" },
        "b" => new Dictionary<string, string> { ["pod"] = "b", ["tier"] = "db" },
        _ => new Dictionary<string, string> { ["pod"] = name },
    };

    /// <summary>Alternating nodes: x/a node1, x/b node2, x/c node1, y/a node2, ...</summary>
    public static string NodeOf(string ns, string name) =>
        (Array.IndexOf(Namespaces, ns) * Names.Length + Array.IndexOf(Names, name)) % 2 == 0 ? "node1" : "node2";

    /// <summary>
    /// <c>serve-P-tcp</c>/<c>serve-P-udp</c> for each served port, and <c>web</c>, which is TCP 80
    /// on a and b but TCP 81 on c: a named port must be resolved against each destination pod.
    /// </summary>
    public static IReadOnlyList<ContainerPort> PortsOf(string name) =>
    [
        .. PodServers.Ports.SelectMany(p => new[]
        {
            new ContainerPort($"serve-{p}-tcp", p, Protocol.Tcp),
            new ContainerPort($"serve-{p}-udp", p, Protocol.Udp),
        }),
        new ContainerPort("web", name == "c" ? 81 : 80, Protocol.Tcp),
    ];

    public static string NamespaceManifest(string ns) => $$"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: "{{ns}}"
          labels: {{Flow(NamespaceLabels(ns))}}
        """;

    /// <summary>The pod with its <paramref name="labels"/> (default: those at the start).</summary>
    public static string PodManifest(string ns, string name, IReadOnlyDictionary<string, string>? labels = null) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: "{{name}}"
          namespace: "{{ns}}"
          labels: {{Flow(labels ?? PodLabels(name))}}
        spec:
          nodeSelector: {kubernetes.io/hostname: {{NodeOf(ns, name)}}}
          terminationGracePeriodSeconds: 0
          containers:
          - name: main
            image: {{KubeLab.KubeImages.Busybox}}
            imagePullPolicy: Never
            command: [sleep, "36000"]
            ports:
        {{string.Concat(PortsOf(name).Select(p => $"    - {{name: {p.Name}, containerPort: {p.Number}, protocol: {(p.Protocol == Protocol.Tcp ? "TCP" : "UDP")}}}\n"))}}
        """;

    // Quoted: YAML 1.1 reads a bare y as true.
    private static string Flow(IReadOnlyDictionary<string, string> labels) =>
        "{" + string.Join(", ", labels.Select(l => $"\"{l.Key}\": \"{l.Value}\"")) + "}";
}
