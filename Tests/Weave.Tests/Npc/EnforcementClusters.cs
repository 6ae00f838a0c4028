using System.Collections.Immutable;
using System.Net;
using Weave.Npc;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

/// <summary>A small cluster on node-1 (and one pod on node-2) that the compiler's unit and root tests share.</summary>
internal static class EnforcementClusters
{
    public const string Node = "node-1";

    public static readonly ClusterNamespace[] Namespaces = [Ns("a", "team=a"), Ns("b", "team=b")];

    public static readonly Pod Web = Pod("a", "web", "10.32.0.11", "app=web");
    public static readonly Pod Db = Pod("a", "db", "10.32.0.12", "app=db").WithPorts(new ContainerPort("pg", 9000, PortProtocol.Tcp));
    public static readonly Pod Cache = Pod("a", "cache", "10.32.0.13", "app=cache").WithPorts(new ContainerPort("http", 8080, PortProtocol.Tcp));
    public static readonly Pod Other = Pod("b", "other", "10.32.0.14", "app=other");
    public static readonly Pod Remote = Pod("a", "remote", "10.32.1.20", "app=web") with { NodeName = "node-2" };

    public static Pod[] Pods => [Web, Db, Cache, Other, Remote];

    /// <summary>
    /// A default-deny, a label allow through a named port, an ipBlock with an except, and an egress
    /// policy that allows some flows the destination's ingress refuses (both must pass on one node).
    /// </summary>
    public static readonly NetworkPolicy[] Policies =
    [
        Policy("a", "default-deny", LabelSelector.Everything, PolicyTypes.Ingress),
        Policy("a", "db-from-web", Sel("app=db"), ingress: [Rule([PolicyPeer.Pods(Sel("app=web"), null)], PolicyPort.Named(PortProtocol.Tcp, "pg"))]),
        Policy("a", "cache-from-net", Sel("app=cache"),
            ingress: [Rule([Block("10.32.0.0/24", "10.32.0.12/32")], PolicyPort.Numbered(PortProtocol.Tcp, 80, 8080))]),
        Policy("a", "web-out", Sel("app=web"), PolicyTypes.Egress, egress:
        [
            Rule([PolicyPeer.Pods(Sel("app=db"), null)], PolicyPort.Named(PortProtocol.Tcp, "pg")),
            Rule([Block("10.32.0.12/30", "10.32.0.12/31")]),
            Rule([PolicyPeer.Pods(Sel("app=cache"), null)]), // egress allows all ports, cache's ingress only 80-8080
        ]),
    ];

    public static Pod DualStack(Pod pod, string v6) => pod with { Addresses = [.. pod.Addresses, IPAddress.Parse(v6)] };

    public static ImmutableArray<Pod> With(this Pod[] pods, Pod replacement) =>
        [.. pods.Select(p => p.Key == replacement.Key ? replacement : p)];
}
