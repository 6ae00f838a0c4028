using System.Net;
using System.Net.Sockets;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Xunit;
using static Weave.Tests.Npc.Cluster;
using static Weave.Tests.Npc.EnforcementClusters;

namespace Weave.Tests.Npc;

public sealed class EnforcementCompilerTests
{
    private static EnforcementPlan Compile(Pod[] pods, params NetworkPolicy[] policies) =>
        EnforcementCompiler.Compile(Namespaces, pods, policies, Node);

    private static IPAddress A(Pod pod) => pod.Addresses[0];

    [Fact]
    public void Compile_DefaultDenyIngress_PutsOnlyLocalPodsOfItsNamespaceInTheIngressMap()
    {
        EnforcementPlan plan = Compile(Pods, Policies[0]);
        Assert.Equal([A(Web), A(Db), A(Cache)], plan.Ingress.Keys.OrderBy(a => a.ToString(), StringComparer.Ordinal));
        Assert.Empty(plan.Egress);
        PodChain chain = plan.Ingress[A(Web)];
        Assert.Equal("in.a.web", chain.Name);
        Assert.Empty(chain.Rules);
        Assert.Equal(["a/default-deny"], chain.IsolatedBy.ToArray());
        Assert.False(plan.Decide(A(Other), A(Web), PortProtocol.Tcp, 80));
        Assert.True(plan.Decide(A(Web), A(Other), PortProtocol.Tcp, 80));
    }

    [Fact]
    public void Compile_ManyPoliciesAllowingTheSame_ShareOneSetAndOneRule()
    {
        NetworkPolicy[] policies = [.. Enumerable.Range(0, 500).Select(i =>
            Policy("a", $"p{i}", Sel("app=db"), ingress: [Rule([PolicyPeer.Pods(Sel("app=web"), null)], PolicyPort.Numbered(PortProtocol.Tcp, 80))]))];
        EnforcementPlan plan = Compile(Pods, policies);
        AddressSet peers = Assert.Single(plan.AddressSets);
        Assert.Equal([AddressInterval.Of(A(Web)), AddressInterval.Of(A(Remote))], peers.Intervals.OrderBy(i => i.First));
        Assert.Single(plan.PortSets);
        ChainRule rule = Assert.Single(plan.Ingress[A(Db)].Rules);
        Assert.Equal("a/p0 ingress[0]", rule.Origin);
        Assert.Equal(500, plan.Ingress[A(Db)].IsolatedBy.Length);
    }

    [Fact]
    public void Compile_NamedPort_ResolvesAgainstTheTargetForIngress_AndEachDestinationForEgress()
    {
        EnforcementPlan plan = Compile(Pods, Policies);
        ChainRule ingress = Assert.Single(plan.Ingress[A(Db)].Rules);
        Assert.Equal(["tcp . 9000"], ingress.Ports!.Intervals.Select(i => i.ToString()));
        EndpointSet endpoints = Assert.Single(plan.EndpointSets);
        Assert.Equal(["10.32.0.12 . tcp . 9000"], endpoints.Endpoints.Select(e => e.ToString()));
        Assert.Contains(plan.Egress[A(Web)].Rules, r => r.Endpoints == endpoints);
        Assert.True(plan.Decide(A(Web), A(Db), PortProtocol.Tcp, 9000));
        Assert.False(plan.Decide(A(Web), A(Db), PortProtocol.Tcp, 9001));
    }

    [Fact]
    public void Compile_IpBlockExcept_IsAnIntervalSetWithTheHoleLeftOut()
    {
        EnforcementPlan plan = Compile(Pods, Policy("a", "p", Sel("app=db"), ingress: [Rule([Block("10.0.0.0/24", "10.0.0.64/26", "10.0.0.200/32")])]));
        AddressSet set = Assert.Single(plan.AddressSets);
        Assert.Equal(["10.0.0.0-10.0.0.63", "10.0.0.128-10.0.0.199", "10.0.0.201-10.0.0.255"], set.Intervals.Select(i => i.ToString()));
        Assert.Empty(plan.PortSets);
    }

    [Fact]
    public void Render_CountsEachIsolatedPodsDropsUnderItsName()
    {
        string text = NftRuleset.Render(Compile(Pods, Policies));
        Assert.Contains("\tcounter in.a.db {", text, StringComparison.Ordinal);
        Assert.Contains("counter name in.a.db drop comment \"isolated by a/db-from-web, a/default-deny\"", text, StringComparison.Ordinal);
        Assert.Contains("counter name eg.a.web drop", text, StringComparison.Ordinal);
        Assert.Contains("10.32.0.12 : jump in.a.db", text, StringComparison.Ordinal);
        Assert.Contains("ip saddr vmap @egress4", text, StringComparison.Ordinal);
        Assert.DoesNotContain("in.a.remote", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_DualStackPods_GetARulePerFamilyAndBothAddressesInTheMaps()
    {
        Pod web = DualStack(Web, "fd00::11");
        Pod db = DualStack(Db, "fd00::12");
        EnforcementPlan plan = EnforcementCompiler.Compile(Namespaces, Pods.With(web).Select(p => p.Key == db.Key ? db : p), [Policies[1]], Node);
        Assert.Same(plan.Ingress[A(db)], plan.Ingress[IPAddress.Parse("fd00::12")]);
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], plan.Ingress[A(db)].Rules.Select(r => r.Family!.Value));
        Assert.True(plan.Decide(IPAddress.Parse("fd00::11"), IPAddress.Parse("fd00::12"), PortProtocol.Tcp, 9000));
        Assert.False(plan.Decide(IPAddress.Parse("fd00::99"), IPAddress.Parse("fd00::12"), PortProtocol.Tcp, 9000));
        Assert.Contains("ip6 saddr . meta l4proto . th dport @f6-", NftRuleset.Render(plan), StringComparison.Ordinal);
    }

    /// <summary>Issue 20: per-packet cost must not grow with the number of policies. 300 policies
    /// selecting one pod, each with a rule of its own, are still one lookup in the kernel.</summary>
    [Fact]
    public void Render_ManyDistinctRulesOnOnePod_AreOneLookupPerFamily()
    {
        NetworkPolicy[] policies = [.. Enumerable.Range(0, 300).Select(j => Policy("a", $"p{j:000}", Sel("app=db"),
            ingress: [Rule([Block($"192.168.{j / 256}.{j % 256}/32")], PolicyPort.Numbered(PortProtocol.Tcp, 10000 + j, null))]))];
        EnforcementPlan plan = EnforcementCompiler.Compile(Namespaces, Pods, policies, Node);
        PodChain chain = plan.Ingress[A(Db)];
        Assert.Equal(300, chain.Rules.Length);
        string[] rules = NftText.Rules(chain, null);
        Assert.Equal(2, rules.Length); // the folded lookup, then the counted drop
        Assert.StartsWith("ip saddr . meta l4proto . th dport @f4-", rules[0], StringComparison.Ordinal);
        FoldedSet set = Assert.Single(ChainFold.Of(chain).Select(f => f.Ports).OfType<FoldedSet>());
        Assert.Equal(300, set.Boxes.Length);
        Assert.Contains(set.Boxes, b => b.ToString() == "192.168.1.43 . tcp . 10299");
        Assert.True(plan.Decide(IPAddress.Parse("192.168.1.43"), A(Db), PortProtocol.Tcp, 10299));
        Assert.False(plan.Decide(IPAddress.Parse("192.168.1.43"), A(Db), PortProtocol.Tcp, 10298));
    }

    [Fact]
    public void Compile_OnTheOtherNode_HasOnlyThatNodesPods()
    {
        EnforcementPlan plan = EnforcementCompiler.Compile(Namespaces, Pods, Policies, "node-2");
        Assert.Equal([A(Remote)], plan.Ingress.Keys);
        Assert.Equal([A(Remote)], plan.Egress.Keys);
    }
}
