using System.Net;
using FsCheck.Xunit;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Xunit;

namespace Weave.Tests.Npc;

/// <summary>
/// The compiler against the engine: on random clusters (<see cref="NpcArbitraries"/>, with pods
/// spread over two nodes and some given an IPv6 address too), every node's plan is compiled and
/// each flow is decided as the kernel would: at the source pod's node, then at the destination
/// pod's node when that is another. The seed is printed on failure.
/// </summary>
public sealed class EnforcementProperties
{
    private const int Cases = 5_000;
    private const int FlowsPerCase = 24;
    private static readonly string[] s_nodes = ["n1", "n2"];

    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = Cases)]
    public void Plans_DecideEveryFlowAsTheEngine(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        RandomCluster cluster = Spread(NpcArbitraries.Cluster(random, FlowsPerCase), random);
        var engine = new PolicyEngine(cluster.Namespaces, cluster.Pods, cluster.Policies);
        Dictionary<string, EnforcementPlan> plans = s_nodes.ToDictionary(n => n, n => EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, n));
        foreach (Flow flow in cluster.Flows)
        {
            bool allowed = true;
            foreach (string node in new[] { flow.Source.PolicyPod?.NodeName, flow.Destination.PolicyPod?.NodeName }.OfType<string>().Distinct())
            {
                allowed &= plans[node].Decide(flow.Source.Address, flow.Destination.Address, flow.Protocol, flow.Port);
            }
            Assert.True(engine.IsAllowed(flow) == allowed, $"seed {seed.Value}: {flow}: plans say {allowed}; {engine.Explain(flow)}");
        }
    }

    /// <summary>
    /// What the kernel checks (each chain folded into an any-traffic set and disjoint
    /// peer . protocol . port boxes) allows exactly what the chain's rules allow: for every flow's
    /// peer, and at and beside every edge of every port range of the chain, for each protocol.
    /// </summary>
    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = 2_000)]
    public void Folds_AllowExactlyWhatTheChainsRulesAllow(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        RandomCluster cluster = Spread(NpcArbitraries.Cluster(random, FlowsPerCase), random);
        IPAddress[] peers = [.. cluster.Flows.SelectMany(f => new[] { f.Source.Address, f.Destination.Address }).Distinct(),
            IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")];
        foreach (PodChain chain in s_nodes.SelectMany(n => EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, n).Chains.Values))
        {
            ChainFold[] folds = ChainFold.Of(chain);
            int[] ports = [.. chain.Rules.SelectMany(r => (r.Ports?.Intervals ?? []).SelectMany(p => new[] { p.First - 1, p.First, p.Last, p.Last + 1 })
                .Concat((r.Endpoints?.Endpoints ?? []).SelectMany(e => new[] { e.Port - 1, e.Port, e.Port + 1 })))
                .Where(p => p is >= 0 and <= 65535).Append(random.Next(65536)).Distinct()];
            foreach (IPAddress peer in peers)
            {
                foreach (PortProtocol protocol in (PortProtocol[])[PortProtocol.Tcp, PortProtocol.Udp, PortProtocol.Sctp])
                {
                    foreach (int port in ports)
                    {
                        bool byRules = chain.Rules.Any(r => r.Matches(peer, peer, protocol, port));
                        bool byFold = folds.Any(f => f.Allows(peer, protocol, port));
                        Assert.True(byRules == byFold, $"seed {seed.Value}: chain {chain.Name}, {peer} {protocol}/{port}: rules say {byRules}, the fold {byFold}");
                    }
                }
            }
        }
    }

    /// <summary>The property is not won by allowing everything: over 1,000 seeds, plans deny flows and use every kind of rule.</summary>
    [Fact]
    public void Plans_OfRandomClusters_DenyFlowsAndUseEveryKindOfRule()
    {
        int flows = 0, denied = 0, v6Rules = 0, endpointRules = 0, portRules = 0, anyPeerRules = 0;
        for (int seed = 0; seed < 1_000; seed++)
        {
            var random = new Random(seed);
            RandomCluster cluster = Spread(NpcArbitraries.Cluster(random, FlowsPerCase), random);
            Dictionary<string, EnforcementPlan> plans = s_nodes.ToDictionary(n => n, n => EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, n));
            foreach (Flow flow in cluster.Flows.Where(f => f.Source.PolicyPod is not null))
            {
                flows++;
                denied += plans[flow.Source.PolicyPod!.NodeName].Decide(flow.Source.Address, flow.Destination.Address, flow.Protocol, flow.Port) ? 0 : 1;
            }
            foreach (ChainRule rule in plans.Values.SelectMany(p => p.Chains.Values).SelectMany(c => c.Rules))
            {
                v6Rules += rule.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 1 : 0;
                endpointRules += rule.Endpoints is null ? 0 : 1;
                portRules += rule.Ports is null ? 0 : 1;
                anyPeerRules += rule.Peers is null && rule.Endpoints is null ? 1 : 0;
            }
        }
        Assert.True(denied > flows / 20 && denied < flows / 2, $"{denied} of {flows} flows denied");
        Assert.True(v6Rules > 0 && endpointRules > 0 && portRules > 0 && anyPeerRules > 0, $"{v6Rules} {endpointRules} {portRules} {anyPeerRules}");
    }

    /// <summary>
    /// The cluster with each pod on a random node, half the pods with an IPv6 address as well, and
    /// flows between two such pods over IPv6 half the time (a packet is of one family).
    /// </summary>
    internal static RandomCluster Spread(RandomCluster cluster, Random random)
    {
        var moved = new Dictionary<string, Pod>(StringComparer.Ordinal);
        for (int i = 0; i < cluster.Pods.Length; i++)
        {
            Pod pod = cluster.Pods[i] with { NodeName = s_nodes[random.Next(s_nodes.Length)] };
            if (!pod.HostNetwork && random.Next(2) == 0)
            {
                pod = pod with { Addresses = [.. pod.Addresses, IPAddress.Parse($"fd00::{i + 16:x}")] };
            }
            moved[pod.Key] = pod;
        }
        FlowEndpoint Move(FlowEndpoint end, bool v6) => end.Pod is null
            ? end
            : FlowEndpoint.OfPod(moved[end.Pod.Key], v6 ? moved[end.Pod.Key].Addresses[^1] : moved[end.Pod.Key].Addresses[0]);
        Flow[] flows = [.. cluster.Flows.Select(f =>
        {
            bool v6 = f.Source.Pod is not null && f.Destination.Pod is not null
                && moved[f.Source.Pod.Key].Addresses.Length > 1 && moved[f.Destination.Pod.Key].Addresses.Length > 1 && random.Next(2) == 0;
            return f with { Source = Move(f.Source, v6), Destination = Move(f.Destination, v6) };
        })];
        return cluster with { Pods = [.. cluster.Pods.Select(p => moved[p.Key])], Flows = flows };
    }
}
