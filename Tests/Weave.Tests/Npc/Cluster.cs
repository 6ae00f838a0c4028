using System.Collections.Immutable;
using System.Net;
using Weave.Npc;

namespace Weave.Tests.Npc;

/// <summary>Short ways to write pods, namespaces, selectors and policies in tests.</summary>
internal static class Cluster
{
    public static ImmutableSortedDictionary<string, string> L(params string[] pairs) =>
        Labels.Of(pairs.Select(p => p.Split('=')).Select(kv => KeyValuePair.Create(kv[0], kv[1])));

    public static ClusterNamespace Ns(string name, params string[] labels) => new(name, L(labels));

    public static Pod Pod(string ns, string name, string ip, params string[] labels) =>
        new(ns, name, L(labels), [IPAddress.Parse(ip)], "node-1", false, []);

    public static Pod WithPorts(this Pod pod, params ContainerPort[] ports) => pod with { Ports = [.. ports] };

    public static LabelSelector Sel(params string[] labels) => new(L(labels), []);

    public static LabelSelector Sel(params LabelRequirement[] expressions) => new(Labels.None, [.. expressions]);

    public static LabelRequirement Req(string key, SelectorOperator op, params string[] values) => new(key, op, [.. values]);

    public static NetworkPolicy Policy(string ns, string name, LabelSelector podSelector, PolicyTypes declared = PolicyTypes.None,
        PolicyRule[]? ingress = null, PolicyRule[]? egress = null) =>
        new(ns, name, podSelector, declared, [.. ingress ?? []], [.. egress ?? []]);

    public static PolicyRule Rule(PolicyPeer[] peers, params PolicyPort[] ports) => new([.. peers], [.. ports]);

    public static PolicyRule FromAny(params PolicyPort[] ports) => new([], [.. ports]);

    public static PolicyPeer Block(string cidr, params string[] except) =>
        PolicyPeer.Addresses(new IpBlock(IPNetwork.Parse(cidr), [.. except.Select(IPNetwork.Parse)]));

    public static Flow Tcp(Pod from, Pod to, int port) => new(FlowEndpoint.OfPod(from), FlowEndpoint.OfPod(to), PortProtocol.Tcp, port);

    public static Flow Tcp(string from, Pod to, int port) => new(FlowEndpoint.External(IPAddress.Parse(from)), FlowEndpoint.OfPod(to), PortProtocol.Tcp, port);

    public static Flow Tcp(Pod from, string to, int port) => new(FlowEndpoint.OfPod(from), FlowEndpoint.External(IPAddress.Parse(to)), PortProtocol.Tcp, port);

    public static PolicyEngine Engine(IEnumerable<ClusterNamespace> namespaces, IEnumerable<Pod> pods, params NetworkPolicy[] policies) =>
        new(namespaces, pods, policies);
}
