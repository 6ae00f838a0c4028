using System.Net;
using Weave.Npc;
using Xunit;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

/// <summary>One fact per rule of Kubernetes' NetworkPolicy semantics (docs/networkpolicy.md maps them).</summary>
public sealed class PolicyEngineTests
{
    private static readonly ClusterNamespace[] s_namespaces = [Ns("prod", "env=prod"), Ns("dev", "env=dev"), Ns("ops", "env=prod", "team=ops")];
    private static readonly Pod s_web = Pod("prod", "web", "10.32.0.2", "app=web");
    private static readonly Pod s_db = Pod("prod", "db", "10.32.0.3", "app=db");
    private static readonly Pod s_devWeb = Pod("dev", "web", "10.32.1.2", "app=web");
    private static readonly Pod s_monitor = Pod("ops", "monitor", "10.32.2.2", "app=monitor");
    private static readonly Pod[] s_pods = [s_web, s_db, s_devWeb, s_monitor];

    private static FlowExplanation Explain(Flow flow, params NetworkPolicy[] policies) => Engine(s_namespaces, s_pods, policies).Explain(flow);

    private static NetworkPolicy DbIngress(params PolicyRule[] rules) => Policy("prod", "db-in", Sel("app=db"), ingress: rules);

    [Fact]
    public void Explain_NoPolicies_AllowsAndIsolatesNothing()
    {
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432));
        Assert.True(e.Allowed);
        Assert.False(e.Egress.IsIsolated);
        Assert.False(e.Ingress.IsIsolated);
    }

    [Fact]
    public void Explain_PolicySelectingOtherPods_DoesNotIsolate()
    {
        NetworkPolicy denyWeb = Policy("prod", "deny-web", Sel("app=web"));
        Assert.True(Explain(Tcp(s_web, s_db, 5432), denyWeb).Ingress.Allowed);
    }

    [Fact]
    public void Explain_PolicyOfAnotherNamespace_DoesNotIsolate()
    {
        NetworkPolicy devDenyAll = Policy("dev", "deny-all", LabelSelector.Everything);
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), devDenyAll);
        Assert.True(e.Allowed);
        Assert.False(e.Ingress.IsIsolated);
    }

    [Fact]
    public void Explain_NoPolicyTypesAndNoEgressRules_IsolatesForIngressOnly()
    {
        NetworkPolicy denyAll = Policy("prod", "deny-all", LabelSelector.Everything);
        Assert.Equal(PolicyTypes.Ingress, denyAll.Types);
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), denyAll);
        Assert.False(e.Allowed);
        Assert.False(e.Egress.IsIsolated);
        Assert.Equal(["prod/deny-all"], e.Ingress.IsolatedBy.Select(p => p.Key));
    }

    [Fact]
    public void Explain_NoPolicyTypesButEgressRules_IsolatesForBoth()
    {
        NetworkPolicy policy = Policy("prod", "p", Sel("app=web"), egress: [Rule([Block("192.168.0.0/16")])]);
        Assert.Equal(PolicyTypes.Ingress | PolicyTypes.Egress, policy.Types);
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), policy);
        Assert.True(e.Egress.IsIsolated);
        Assert.False(e.Egress.Allowed);
        Assert.True(Explain(Tcp(s_db, s_web, 80), policy).Ingress.IsIsolated);
    }

    [Fact]
    public void Explain_EgressOnlyType_LeavesIngressOpenEvenWithIngressRules()
    {
        NetworkPolicy policy = Policy("prod", "p", Sel("app=db"), PolicyTypes.Egress, ingress: [Rule([Block("1.0.0.0/8")])]);
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), policy);
        Assert.True(e.Allowed);
        Assert.False(e.Ingress.IsIsolated);
    }

    [Fact]
    public void Explain_EgressTypeWithNoRules_DeniesAllEgress()
    {
        NetworkPolicy policy = Policy("prod", "no-egress", Sel("app=web"), PolicyTypes.Egress);
        FlowExplanation e = Explain(Tcp(s_web, "8.8.8.8", 53), policy);
        Assert.False(e.Allowed);
        Assert.True(e.Egress.IsIsolated);
        Assert.Null(e.Egress.AllowedBy);
        Assert.True(e.Ingress.Allowed);
    }

    [Fact]
    public void Explain_IngressTypeWithNoRules_DeniesAllIngress()
    {
        NetworkPolicy policy = Policy("prod", "no-ingress", Sel("app=db"), PolicyTypes.Ingress | PolicyTypes.Egress, egress: [PolicyRule.AllowAll]);
        Assert.False(Explain(Tcp("1.2.3.4", s_db, 5432), policy).Allowed);
        Assert.True(Explain(Tcp(s_db, "1.2.3.4", 443), policy).Allowed);
    }

    [Fact]
    public void Explain_RuleWithoutPeers_AllowsEveryPeer_PodsAndAddresses()
    {
        NetworkPolicy policy = DbIngress(FromAny(PolicyPort.Numbered(PortProtocol.Tcp, 5432)));
        Assert.True(Explain(Tcp("203.0.113.9", s_db, 5432), policy).Allowed);
        Assert.True(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), policy);
        Assert.Equal(new RuleMatch(policy, FlowDirection.Ingress, 0, null, 0), e.Ingress.AllowedBy);
    }

    [Fact]
    public void Explain_RuleWithoutPorts_AllowsEveryPortAndProtocol()
    {
        NetworkPolicy policy = DbIngress(Rule([PolicyPeer.Pods(Sel("app=web"), null)]));
        Assert.True(Explain(Tcp(s_web, s_db, 1), policy).Allowed);
        Assert.True(Explain(new Flow(FlowEndpoint.OfPod(s_web), FlowEndpoint.OfPod(s_db), PortProtocol.Sctp, 65535), policy).Allowed);
        Assert.Null(Explain(Tcp(s_web, s_db, 9), policy).Ingress.AllowedBy!.PortIndex);
    }

    [Fact]
    public void Explain_PodSelectorPeerAlone_MeansPodsOfThePolicysNamespace()
    {
        NetworkPolicy policy = DbIngress(Rule([PolicyPeer.Pods(Sel("app=web"), null)]));
        Assert.True(Explain(Tcp(s_web, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_NamespaceSelectorPeerAlone_MeansAllPodsOfMatchingNamespaces()
    {
        NetworkPolicy policy = DbIngress(Rule([PolicyPeer.Pods(null, Sel("env=prod"))]));
        Assert.True(Explain(Tcp(s_monitor, s_db, 5432), policy).Allowed);
        Assert.True(Explain(Tcp(s_web, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp("10.32.2.99", s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_EmptyNamespaceSelector_MeansPodsOfEveryNamespace()
    {
        NetworkPolicy policy = DbIngress(Rule([PolicyPeer.Pods(null, LabelSelector.Everything)]));
        Assert.True(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp("10.32.1.2", s_db, 5432) with { Source = FlowEndpoint.External(IPAddress.Parse("192.0.2.1")) }, policy).Allowed);
    }

    [Fact]
    public void Explain_PodAndNamespaceSelectorsTogether_AreAnded()
    {
        NetworkPolicy policy = DbIngress(Rule([PolicyPeer.Pods(Sel("app=web"), Sel("env=dev"))]));
        Assert.True(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp(s_web, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp(s_monitor, s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_NamespaceTheEngineDoesNotKnow_HasNoLabels()
    {
        Pod stray = Pod("unknown", "stray", "10.32.9.9", "app=web");
        var engine = Engine(s_namespaces, [.. s_pods, stray],
            DbIngress(Rule([PolicyPeer.Pods(null, Sel(Req("env", SelectorOperator.DoesNotExist)))])));
        Assert.True(engine.IsAllowed(Tcp(stray, s_db, 5432)));
        Assert.False(engine.IsAllowed(Tcp(s_devWeb, s_db, 5432)));
    }

    [Fact]
    public void Explain_IpBlock_MatchesTheCidrMinusItsExcepts()
    {
        NetworkPolicy policy = DbIngress(Rule([Block("192.168.0.0/16", "192.168.1.0/24")]));
        Assert.True(Explain(Tcp("192.168.2.1", s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp("192.168.1.7", s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp("10.0.0.1", s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_IpBlock_AppliesToPodAddressesToo()
    {
        NetworkPolicy policy = DbIngress(Rule([Block("10.32.1.0/24")]));
        Assert.True(Explain(Tcp(s_devWeb, s_db, 5432), policy).Allowed);
        Assert.False(Explain(Tcp(s_web, s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_IpBlock_OfTheOtherFamily_DoesNotMatch()
    {
        NetworkPolicy policy = DbIngress(Rule([Block("::/0")]));
        Assert.False(Explain(Tcp("192.0.2.1", s_db, 5432), policy).Allowed);
        Assert.True(Explain(Tcp("2001:db8::1", s_db, 5432), policy).Allowed);
    }

    [Fact]
    public void Explain_NamedPortOnIngress_ResolvesAgainstTheTargetPodWithItsProtocol()
    {
        Pod db = s_db.WithPorts(new ContainerPort("sql", 5432, PortProtocol.Tcp), new ContainerPort("metrics", 9187, PortProtocol.Udp));
        var engine = Engine(s_namespaces, [s_web, db], DbIngress(FromAny(PolicyPort.Named(PortProtocol.Tcp, "sql"), PolicyPort.Named(PortProtocol.Tcp, "metrics"))));
        Assert.True(engine.IsAllowed(Tcp(s_web, db, 5432)));
        Assert.False(engine.IsAllowed(Tcp(s_web, db, 5433)));
        Assert.False(engine.IsAllowed(Tcp(s_web, db, 9187)));
    }

    [Fact]
    public void Explain_NamedPortOnEgress_ResolvesAgainstThePeerPod()
    {
        Pod db = s_db.WithPorts(new ContainerPort("sql", 5432, PortProtocol.Tcp));
        Pod web = s_web.WithPorts(new ContainerPort("sql", 3306, PortProtocol.Tcp));
        NetworkPolicy policy = Policy("prod", "web-out", Sel("app=web"), PolicyTypes.Egress, egress: [FromAny(PolicyPort.Named(PortProtocol.Tcp, "sql"))]);
        var engine = Engine(s_namespaces, [web, db], policy);
        Assert.True(engine.IsAllowed(Tcp(web, db, 5432)));
        Assert.False(engine.IsAllowed(Tcp(web, db, 3306)));
        Assert.False(engine.IsAllowed(Tcp(web, "10.32.0.3", 5432)));
    }

    [Fact]
    public void Explain_EndPort_MakesAnInclusiveRange()
    {
        NetworkPolicy policy = DbIngress(FromAny(PolicyPort.Numbered(PortProtocol.Tcp, 32000, 32768)));
        Assert.False(Explain(Tcp(s_web, s_db, 31999), policy).Allowed);
        Assert.True(Explain(Tcp(s_web, s_db, 32000), policy).Allowed);
        Assert.True(Explain(Tcp(s_web, s_db, 32768), policy).Allowed);
        Assert.False(Explain(Tcp(s_web, s_db, 32769), policy).Allowed);
    }

    [Fact]
    public void Explain_PortWithoutNumber_AllowsEveryPortOfItsProtocolOnly()
    {
        NetworkPolicy policy = DbIngress(FromAny(PolicyPort.AllOf(PortProtocol.Udp)));
        Assert.True(Explain(new Flow(FlowEndpoint.OfPod(s_web), FlowEndpoint.OfPod(s_db), PortProtocol.Udp, 53), policy).Allowed);
        Assert.False(Explain(Tcp(s_web, s_db, 53), policy).Allowed);
    }

    [Fact]
    public void Explain_HostNetworkPod_IsNeverIsolated()
    {
        Pod agent = Pod("prod", "agent", "192.168.50.1", "app=db") with { HostNetwork = true };
        var engine = Engine(s_namespaces, [s_web, agent], Policy("prod", "deny-all", LabelSelector.Everything, PolicyTypes.Ingress | PolicyTypes.Egress));
        FlowExplanation e = engine.Explain(Tcp(s_web, agent, 22) with { Source = FlowEndpoint.External(IPAddress.Parse("192.0.2.1")) });
        Assert.True(e.Allowed);
        Assert.Null(e.Ingress.Pod);
        Assert.True(engine.Explain(new Flow(FlowEndpoint.OfPod(agent), FlowEndpoint.External(IPAddress.Parse("192.0.2.1")), PortProtocol.Tcp, 1)).Egress.Allowed);
    }

    [Fact]
    public void Explain_HostNetworkPodAsPeer_IsSeenOnlyByItsAddress()
    {
        Pod agent = Pod("prod", "agent", "192.168.50.1", "app=web") with { HostNetwork = true };
        var bySelector = Engine(s_namespaces, [agent, s_db], DbIngress(Rule([PolicyPeer.Pods(Sel("app=web"), null)])));
        var byAddress = Engine(s_namespaces, [agent, s_db], DbIngress(Rule([Block("192.168.50.0/24")])));
        Assert.False(bySelector.IsAllowed(Tcp(agent, s_db, 5432)));
        Assert.True(byAddress.IsAllowed(Tcp(agent, s_db, 5432)));
    }

    [Fact]
    public void Explain_NeedsBothDirections()
    {
        NetworkPolicy webOut = Policy("prod", "web-out", Sel("app=web"), PolicyTypes.Egress, egress: [Rule([PolicyPeer.Pods(Sel("app=db"), null)])]);
        NetworkPolicy dbDeny = Policy("prod", "db-deny", Sel("app=db"));
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), webOut, dbDeny);
        Assert.True(e.Egress.Allowed);
        Assert.False(e.Ingress.Allowed);
        Assert.False(e.Allowed);
        FlowExplanation back = Explain(Tcp(s_web, s_devWeb, 80), webOut);
        Assert.False(back.Egress.Allowed);
        Assert.True(back.Ingress.Allowed);
        Assert.False(back.Allowed);
    }

    [Fact]
    public void Explain_PoliciesAreAdditive_AnyIsolatingPolicyMayAllow()
    {
        NetworkPolicy deny = Policy("prod", "a-deny", Sel("app=db"));
        NetworkPolicy allow = DbIngress(Rule([PolicyPeer.Pods(Sel("app=web"), null)]));
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), deny, allow);
        Assert.True(e.Allowed);
        Assert.Equal(["prod/a-deny", "prod/db-in"], e.Ingress.IsolatedBy.Select(p => p.Key));
        Assert.Equal(allow, e.Ingress.AllowedBy!.Policy);
    }

    [Fact]
    public void Explain_NamesThePolicyRulePeerAndPortThatAllowed()
    {
        NetworkPolicy policy = DbIngress(
            Rule([Block("1.0.0.0/8")]),
            Rule([PolicyPeer.Pods(Sel("app=db"), null), PolicyPeer.Pods(Sel("app=web"), null)], PolicyPort.Numbered(PortProtocol.Udp, 5432), PolicyPort.Numbered(PortProtocol.Tcp, 5432)));
        FlowExplanation e = Explain(Tcp(s_web, s_db, 5432), policy);
        Assert.Equal(new RuleMatch(policy, FlowDirection.Ingress, 1, 1, 1), e.Ingress.AllowedBy);
        Assert.Equal("prod/db-in ingress[1]: from[1] pods app=web, ports[1] TCP/5432", e.Ingress.AllowedBy!.ToString());
        Assert.Contains("ingress: allowed by prod/db-in", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_ExternalSource_HasNoEgressCheck()
    {
        FlowExplanation e = Explain(Tcp("192.0.2.1", s_db, 1), Policy("prod", "deny-all", LabelSelector.Everything, PolicyTypes.Egress));
        Assert.Null(e.Egress.Pod);
        Assert.True(e.Egress.Allowed);
    }

    [Fact]
    public void Endpoint_ResolvesPodAddresses_ButNotHostNetworkOnes()
    {
        Pod agent = Pod("prod", "agent", "192.168.50.1") with { HostNetwork = true };
        var engine = Engine(s_namespaces, [s_web, agent]);
        Assert.Equal(s_web, engine.Endpoint(IPAddress.Parse("10.32.0.2")).Pod);
        Assert.Null(engine.Endpoint(IPAddress.Parse("192.168.50.1")).Pod);
        Assert.Null(engine.Endpoint(IPAddress.Parse("10.99.0.1")).Pod);
    }

    [Fact]
    public void OfPod_AnAddressThePodDoesNotHave_Throws()
    {
        Assert.Throws<ArgumentException>(() => FlowEndpoint.OfPod(s_web, IPAddress.Parse("10.32.0.3")));
    }
}
