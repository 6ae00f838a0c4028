using static Weave.Kubernetes.Policy.Direction;
using static Weave.Kubernetes.Policy.Selector;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// The conformance scenarios, after upstream's NetworkPolicy e2e tests and cyclonus: each one
/// names the rule of the specification it exercises. Pods and namespaces are those of
/// <see cref="SuitePods"/>; pod labels are <c>pod</c> (a, b, c) and <c>tier</c> (web on a, db on b,
/// none on c); namespace labels are <c>ns</c> and <c>team</c> (blue on x, red on y, none on z).
/// </summary>
internal static class Scenarios
{
    private const string PodRange = AddOn.PodRange;

    public static IReadOnlyList<Scenario> Suite { get; } =
    [
        new("no policies: everything allowed", _ => []),

        // Isolation: a type with no rules denies everything in that direction.
        new("default deny ingress in x", _ => [Policy("x", "deny-in", All) with { Types = [Ingress] }]),
        new("default deny egress in x (the world too)", _ => [Policy("x", "deny-out", All) with { Types = [Egress] }]),
        new("deny all both ways in y", _ => [Policy("y", "deny-all", All) with { Types = [Ingress, Egress] }]),
        new("a policy selecting only x/a isolates only x/a", _ => [Policy("x", "deny-a", Labels("pod", "a")) with { Types = [Ingress] }]),

        // Peers by selector.
        new("allow from the same namespace only", _ => [Policy("x", "same-ns", All) with { Ingress = [Rule.From(Peer.PodsWhere(All))] }]),
        new("allow from a namespace by label", _ => [Policy("x", "from-y", All) with { Ingress = [Rule.From(Peer.NamespacesWhere(Labels("ns", "y")))] }]),
        new("pod and namespace selector in one peer: AND", _ =>
            [Policy("x", "and", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsInNamespaces(Labels("pod", "b"), Labels("ns", "y")))] }]),
        new("pod and namespace selector as two peers: OR", _ =>
            [Policy("x", "or", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "b")), Peer.NamespacesWhere(Labels("ns", "y")))] }]),
        new("an empty namespace selector with a pod selector: those pods in every namespace", _ =>
            [Policy("y", "all-ns", All) with { Ingress = [Rule.From(Peer.PodsInNamespaces(Labels("pod", "a"), All))] }]),
        new("matchExpressions In on namespaces", _ =>
            [Policy("z", "in", All) with { Ingress = [Rule.From(Peer.NamespacesWhere(Where(Requirement.In("ns", "x", "z"))))] }]),
        new("matchExpressions NotIn also matches pods without the key", _ =>
            [Policy("x", "notin", All) with { Ingress = [Rule.From(Peer.PodsInNamespaces(Where(Requirement.NotIn("tier", "db")), All))] }]),
        new("matchExpressions Exists on namespaces", _ =>
            [Policy("z", "exists", All) with { Ingress = [Rule.From(Peer.NamespacesWhere(Where(Requirement.Exists("team"))))] }]),
        new("matchExpressions DoesNotExist on pods, In on the target", _ =>
            [Policy("y", "dne", Where(Requirement.In("pod", "a", "b"))) with { Ingress = [Rule.From(Peer.PodsInNamespaces(Where(Requirement.DoesNotExist("tier")), All))] }]),

        // Ports.
        new("allow to one port only (TCP 81)", _ => [Policy("x", "tcp-81", Labels("pod", "a")) with { Ingress = [Rule.OnPorts(PolicyPort.Tcp(81))] }]),
        new("named port ingress: web is TCP 80 on a and b, TCP 81 on c", _ =>
            [Policy("x", "named-in", All) with { Ingress = [Rule.OnPorts(PolicyPort.Named("web"), PolicyPort.Named("serve-81-udp", Protocol.Udp))] }]),
        new("named port egress: resolved against each destination pod", _ =>
            [Policy("y", "named-out", All) with { Egress = [Rule.OnPorts(PolicyPort.Named("web"))], Types = [Egress] }]),
        new("protocol only: every UDP port, no TCP", _ => [Policy("z", "udp-only", All) with { Ingress = [Rule.OnPorts(PolicyPort.AnyOf(Protocol.Udp))] }]),
        new("egress only to UDP 81 anywhere (the DNS pattern)", _ =>
            [Policy("z", "dns-like", All) with { Egress = [Rule.OnPorts(PolicyPort.Udp(81))], Types = [Egress] }]),

        // Address blocks and the outside.
        new("ipBlock: the pod range except y/b's address", state =>
            [Policy("x", "block-except", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.Addresses(PodRange, HostCidr(state.Pod("y", "b"))))] }]),
        new("ipBlock: exactly z/c's address", state =>
            [Policy("x", "block-one", Labels("pod", "b")) with { Ingress = [Rule.From(Peer.Addresses(HostCidr(state.Pod("z", "c"))))] }]),
        new("egress to the world only (ipBlock 10.201.0.1/32)", _ =>
            [Policy("x", "to-world", All) with { Egress = [Rule.From(Peer.Addresses("10.201.0.1/32"))], Types = [Egress] }]),
        new("egress to everything but the pod range (0.0.0.0/0 except)", _ =>
            [Policy("y", "outside-only", All) with { Egress = [Rule.From(Peer.Addresses("0.0.0.0/0", PodRange))], Types = [Egress] }]),

        // Combining and defaulting.
        new("policies are additive", _ =>
        [
            Policy("x", "from-y", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.NamespacesWhere(Labels("ns", "y")))] },
            Policy("x", "from-c", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "c")))] },
            Policy("x", "udp-from-all", All) with { Ingress = [new Rule([Peer.NamespacesWhere(All)], [PolicyPort.Udp(80)])] },
        ]),
        new("policyTypes [Egress] only leaves ingress open despite ingress rules", _ =>
        [
            Policy("x", "egress-type", All) with
            {
                Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "nobody")))],
                Egress = [Rule.From(Peer.PodsWhere(All))],
                Types = [Egress],
            },
        ]),
        new("no policyTypes but egress rules: isolated both ways", _ =>
            [Policy("z", "implied-types", All) with { Egress = [Rule.From(Peer.PodsWhere(All))] }]),
        new("egress from x to team red and ingress to y from team blue on TCP 80", _ =>
        [
            Policy("x", "to-red", All) with { Egress = [Rule.From(Peer.NamespacesWhere(Labels("team", "red")))], Types = [Egress] },
            Policy("y", "from-blue-80", All) with { Ingress = [new Rule([Peer.NamespacesWhere(Labels("team", "blue"))], [PolicyPort.Tcp(80)])] },
        ]),

        // Changes while policies stay.
        new Scenario("a policy updated in place (kubectl apply)", _ =>
            [Policy("x", "update", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "b")))] }])
            .Then("x/update now allows pod=c from every namespace on UDP", lab =>
            {
                lab.ApplyPolicies([Policy("x", "update", Labels("pod", "a")) with
                {
                    Ingress = [new Rule([Peer.PodsInNamespaces(Labels("pod", "c"), All)], [PolicyPort.AnyOf(Protocol.Udp)])],
                }]);
                return Task.CompletedTask;
            }),
        new Scenario("a pod's label changed", _ =>
            [Policy("x", "from-b", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "b")))] }])
            .Then("x/c labelled pod=b, x/b labelled pod=none", lab =>
            {
                lab.LabelPod("x", "c", "pod", "b");
                lab.LabelPod("x", "b", "pod", "none");
                return Task.CompletedTask;
            }, lab =>
            {
                lab.LabelPod("x", "c", "pod", "c");
                lab.LabelPod("x", "b", "pod", "b");
                return Task.CompletedTask;
            }),
        new Scenario("a target pod's label changed: no longer selected", _ =>
            [Policy("y", "deny-tier-web", Labels("tier", "web")) with { Types = [Ingress, Egress] }])
            .Then("y/a labelled tier=none, y/c labelled tier=web", lab =>
            {
                lab.LabelPod("y", "a", "tier", "none");
                lab.LabelPod("y", "c", "tier", "web");
                return Task.CompletedTask;
            }, lab =>
            {
                lab.LabelPod("y", "a", "tier", "web");
                lab.LabelPod("y", "c", "tier", null);
                return Task.CompletedTask;
            }),
        new Scenario("a namespace's label changed", _ =>
            [Policy("x", "from-y", All) with { Ingress = [Rule.From(Peer.NamespacesWhere(Labels("ns", "y")))] }])
            .Then("namespace z labelled ns=y", lab =>
            {
                lab.LabelNamespace("z", "ns", "y");
                return Task.CompletedTask;
            }, lab =>
            {
                lab.LabelNamespace("z", "ns", "z");
                return Task.CompletedTask;
            }),
        new Scenario("a pod deleted and created again", _ =>
        [
            Policy("x", "a-from-b", Labels("pod", "a")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "b")))] },
            Policy("x", "b-from-a", Labels("pod", "b")) with { Ingress = [Rule.From(Peer.PodsWhere(Labels("pod", "a")))] },
            Policy("y", "c-from-x-b", Labels("pod", "c")) with { Ingress = [Rule.From(Peer.PodsInNamespaces(Labels("pod", "b"), Labels("ns", "x")))] },
        ]).Then("x/b recreated", lab => lab.RecreatePodAsync("x", "b")),
        new Scenario("a policy deleted: allowed again", _ =>
        [
            Policy("x", "deny-in", All) with { Types = [Ingress] },
            Policy("z", "deny-out", All) with { Types = [Egress] },
        ]).Then("x/deny-in deleted", lab =>
        {
            lab.DeletePolicy("x", "deny-in");
            return Task.CompletedTask;
        }),
    ];

    private static NetworkPolicy Policy(string ns, string name, Selector pods) => new(ns, name, pods);

    private static string HostCidr(ClusterPod pod) => $"{pod.Address}/32";
}
