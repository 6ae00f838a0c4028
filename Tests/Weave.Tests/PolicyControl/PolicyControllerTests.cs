using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Npc;
using Weave.Linux.Netfilter;
using Weave.Npc.Enforcement;
using Weave.Router.Policy;
using Weave.Tests.Kube;
using Weave.Tests.Npc;
using Xunit;
using static Weave.Tests.Npc.EnforcementClusters;

namespace Weave.Tests.PolicyControl;

/// <summary>
/// The controller's loop, one <see cref="PolicyController.Step"/> at a time, over the updates the
/// followers would report and an nft in memory: what it writes, when, and what it refuses.
/// </summary>
public sealed class PolicyControllerTests
{
    private readonly Channel<ResourceUpdate> _updates = Channel.CreateUnbounded<ResourceUpdate>();
    private readonly FakeNftables _nft = new();
    private readonly ListLogger _log = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    private PolicyController NewController() => new(Node, new PolicyTable(_nft), _updates.Reader, null, _time, _log);

    private void List(KubeResource resource, params byte[][] objects) =>
        _updates.Writer.TryWrite(ResourceUpdate.OfList(resource, [.. objects.Select(Element)]));

    private void Change(KubeResource resource, KubeEventKind kind, byte[] json) =>
        _updates.Writer.TryWrite(ResourceUpdate.OfChange(resource, new KubeObjectEvent(kind, Element(json), "1")));

    private static System.Text.Json.JsonElement Element(byte[] json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();

    private void ListTheSampleCluster(bool withPolicies = true)
    {
        List(KubeResource.Namespaces, [.. Namespaces.Select(ApiJsonWriter.Write)]);
        List(KubeResource.Pods, [.. Pods.Select(ApiJsonWriter.Write)]);
        List(KubeResource.NetworkPolicies, [.. (withPolicies ? Policies : []).Select(ApiJsonWriter.Write)]);
    }

    [Fact]
    public void Step_BeforeAllThreeKindsAreListed_WritesNothing()
    {
        PolicyController controller = NewController();
        List(KubeResource.Namespaces, [.. Namespaces.Select(ApiJsonWriter.Write)]);
        List(KubeResource.Pods, [.. Pods.Select(ApiJsonWriter.Write)]);
        controller.Step();
        Assert.Empty(_nft.Applied);
        Assert.False(controller.Status.Synced);

        List(KubeResource.NetworkPolicies, [.. Policies.Select(ApiJsonWriter.Write)]);
        controller.Step();
        string only = Assert.Single(_nft.Applied);
        Assert.True(FakeNftables.IsWhole(only), "the first write after a start replaces the table whole");
        Assert.True(controller.Status.Synced);
        Assert.Equal(4, controller.Snapshot.Policies.Length);
    }

    [Fact]
    public void Step_AfterTheFirstWrite_WritesOnlyWhatChanged_AndNothingWhenNothingDid()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();

        NetworkPolicy denyEgress = Cluster.Policy("b", "deny-out", LabelSelector.Everything, PolicyTypes.Egress);
        Change(KubeResource.NetworkPolicies, KubeEventKind.Added, ApiJsonWriter.Write(denyEgress));
        controller.Step();
        Assert.Equal(2, _nft.Applied.Count);
        string change = _nft.Applied[1];
        Assert.False(FakeNftables.IsWhole(change), change);
        Assert.Contains("eg.b.other", change, StringComparison.Ordinal);
        Assert.DoesNotContain("in.a.db", change, StringComparison.Ordinal);

        // A pod's status changing in a way policy does not see (same labels, address, ports): no write.
        Change(KubeResource.Pods, KubeEventKind.Modified, ApiJsonWriter.Write(Other));
        controller.Step();
        Assert.Equal(2, _nft.Applied.Count);

        // Several updates waiting are one transaction.
        Change(KubeResource.NetworkPolicies, KubeEventKind.Deleted, ApiJsonWriter.Write(denyEgress));
        Change(KubeResource.NetworkPolicies, KubeEventKind.Deleted, ApiJsonWriter.Write(Policies[0]));
        controller.Step();
        Assert.Equal(3, _nft.Applied.Count);
        Assert.Contains("delete chain inet weave-npc eg.b.other", _nft.Applied[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Step_UnreadablePolicy_IsSkippedWithOneLogLine_AndTheOthersAreEnforced()
    {
        PolicyController controller = NewController();
        byte[] bad = Encoding.UTF8.GetBytes("""
            {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bad","namespace":"a"},
             "spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/40"}}]}]}}
            """);
        List(KubeResource.Namespaces, [.. Namespaces.Select(ApiJsonWriter.Write)]);
        List(KubeResource.Pods, [.. Pods.Select(ApiJsonWriter.Write)]);
        List(KubeResource.NetworkPolicies, [.. Policies.Select(ApiJsonWriter.Write), bad]);
        controller.Step();

        Assert.Equal(4, controller.Snapshot.Policies.Length);
        RefusedObject refused = Assert.Single(controller.Snapshot.Refused);
        Assert.Equal("a/bad", refused.Key);
        Assert.Contains("10.0.0.0/40", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _log.Count("Skipped networkpolicies a/bad: NetworkPolicy a/bad: spec.ingress[0].from[0].ipBlock.cidr"));
        Assert.Contains("in.a.db", Assert.Single(_nft.Applied), StringComparison.Ordinal);

        // The same object again (a relist, a watch event): not logged again, still counted once.
        Change(KubeResource.NetworkPolicies, KubeEventKind.Modified, bad);
        List(KubeResource.NetworkPolicies, [.. Policies.Select(ApiJsonWriter.Write), bad]);
        controller.Step();
        Assert.Equal(1, _log.Count("Skipped networkpolicies a/bad"));
        Assert.Equal(1, controller.Status.Refusals);

        // Deleted: no longer reported.
        Change(KubeResource.NetworkPolicies, KubeEventKind.Deleted, bad);
        controller.Step();
        Assert.Empty(controller.Snapshot.Refused);
    }

    [Fact]
    public void Step_FinishedPods_AreLeftOut()
    {
        PolicyController controller = NewController();
        byte[] finished = WithPhase(ApiJsonWriter.Write(Other), "Succeeded");
        List(KubeResource.Namespaces, [.. Namespaces.Select(ApiJsonWriter.Write)]);
        List(KubeResource.Pods, [.. Pods.Where(p => p != Other).Select(ApiJsonWriter.Write), finished]);
        List(KubeResource.NetworkPolicies);
        controller.Step();
        Assert.DoesNotContain(controller.Snapshot.Pods, p => p.Key == Other.Key);

        Change(KubeResource.Pods, KubeEventKind.Modified, WithPhase(ApiJsonWriter.Write(Other), "Running"));
        controller.Step();
        Assert.Contains(controller.Snapshot.Pods, p => p.Key == Other.Key);
        Change(KubeResource.Pods, KubeEventKind.Modified, WithPhase(ApiJsonWriter.Write(Other), "Failed"));
        controller.Step();
        Assert.DoesNotContain(controller.Snapshot.Pods, p => p.Key == Other.Key);
    }

    [Fact]
    public void Step_AfterAFailedWrite_KeepsTheRulesInPlace_ThenRetriesWholeWhenDue()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        _nft.FailNext = 1;
        Change(KubeResource.NetworkPolicies, KubeEventKind.Deleted, ApiJsonWriter.Write(Policies[0]));
        controller.Step();
        Assert.Single(_nft.Applied);
        Assert.Equal(1, controller.Status.ApplyFailures);
        Assert.Equal(1, _log.Count("Could not apply the policy table"));

        controller.Step(); // not due yet
        Assert.Single(_nft.Applied);
        _time.Advance(PolicyController.RetryInterval);
        controller.Step();
        Assert.Equal(2, _nft.Applied.Count);
        Assert.True(FakeNftables.IsWhole(_nft.Applied[1]), "after a failure nothing is known of the table: it is written whole");
        Assert.DoesNotContain("default-deny", _nft.Applied[1], StringComparison.Ordinal);
        Assert.Null(controller.Status.LastError);
    }

    [Fact]
    public void Check_TableRemovedByAnOperator_IsWrittenAgain()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        controller.Check();
        Assert.Single(_nft.Applied);

        _nft.RemoveTable();
        controller.Check();
        Assert.Equal(2, _nft.Applied.Count);
        Assert.True(FakeNftables.IsWhole(_nft.Applied[1]));
        Assert.Equal(1, _log.Count("was removed from the kernel"));
        Assert.Equal(1, controller.Status.TableRestores);
    }

    [Fact]
    public void Check_CountsDropsPerPodAndPolicy_AcrossCounterRestarts()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        _nft.Counters = Counters(("in.a.db", 5), ("in.a.web", 2));
        controller.Check();
        _nft.Counters = Counters(("in.a.db", 7), ("in.a.web", 1)); // in.a.web was made again: its counter restarted
        controller.Check();

        Assert.Contains((FlowDirection.Ingress, "a", "db", 7L), controller.Drops.ByPod());
        Assert.Contains((FlowDirection.Ingress, "a", "web", 3L), controller.Drops.ByPod());
        // Every pod of a is isolated by default-deny; db also by db-from-web.
        Assert.Contains((FlowDirection.Ingress, "a", "default-deny", 10L), controller.Drops.ByPolicy());
        Assert.Contains((FlowDirection.Ingress, "a", "db-from-web", 7L), controller.Drops.ByPolicy());
    }

    [Fact]
    public void Restart_KeepsThePreviousTableUntilTheWholePictureIsThere_ThenReplacesItInOneTransaction()
    {
        PolicyController first = NewController();
        ListTheSampleCluster();
        first.Step();

        // A new controller (the container restarted) on the same kernel: the table is still there.
        var restarted = new PolicyController(Node, new PolicyTable(_nft), _updates.Reader, null, _time, _log);
        List(KubeResource.Namespaces, [.. Namespaces.Select(ApiJsonWriter.Write)]);
        restarted.Step();
        restarted.Check();
        Assert.Single(_nft.Applied);
        Assert.True(_nft.TablePresent);

        List(KubeResource.Pods, [.. Pods.Select(ApiJsonWriter.Write)]);
        List(KubeResource.NetworkPolicies, [.. Policies.Select(ApiJsonWriter.Write)]);
        restarted.Step();
        Assert.Equal(2, _nft.Applied.Count);
        string replace = _nft.Applied[1];
        Assert.True(FakeNftables.IsWhole(replace));
        // add, delete and the new table in one script: nft applies it as one transaction, so there
        // is no moment without the table.
        Assert.StartsWith("add table inet weave-npc\ndelete table inet weave-npc\ntable inet weave-npc {", replace, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_OverTheSnapshot_NamesThePolicyAndTheChainThatDecide()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        Assert.True(FlowQuery.TryParse(controller.Snapshot, "b/other", "a/db", "9000/tcp", out Flow? flow, out string error), error);
        string text = ExplainText.Render(controller.Snapshot.Engine.Explain(flow), controller.Plan, Node, controller.Drops);
        Assert.Contains("b/other (10.32.0.14) -> a/db (10.32.0.12) TCP/9000: denied", text, StringComparison.Ordinal);
        Assert.Contains("a/default-deny", text, StringComparison.Ordinal);
        Assert.Contains("ingress of a/db on this node: chain in.a.db in table inet weave-npc", text, StringComparison.Ordinal);

        Assert.True(FlowQuery.TryParse(controller.Snapshot, "a/web", "10.32.0.12", "9000", out flow, out error), error);
        text = ExplainText.Render(controller.Snapshot.Engine.Explain(flow), controller.Plan, Node, controller.Drops);
        Assert.Contains("TCP/9000: allowed", text, StringComparison.Ordinal);
        Assert.Contains("a/db-from-web ingress[0]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_WithDropLog_LogsBeforeEachDropWithinOneLimit_AndAChangedSettingRewritesTheTable()
    {
        var controller = new PolicyController(Node, new PolicyTable(_nft), _updates.Reader, null, _time, _log, new DropLog(6781, 10));
        ListTheSampleCluster();
        controller.Step();
        string whole = Assert.Single(_nft.Applied);
        Assert.Contains("\tlimit drop-log {\n\t\trate 10/second burst 20 packets\n\t}\n", whole, StringComparison.Ordinal);
        Assert.Contains("\t\tlimit name \"drop-log\" log group 6781 prefix \"in.a.db\"\n\t\tcounter name in.a.db drop", whole, StringComparison.Ordinal);

        EnforcementPlan plan = controller.Plan!;
        Assert.Equal(NftRuleset.Render(plan with { DropLog = null }), NftChanges.Render(plan, plan with { DropLog = null }));
        Assert.Equal("", NftChanges.Render(plan, plan));
    }

    [Fact]
    public void DropLogger_Describe_NamesBothPodsAndTheIsolatingPolicies()
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        var packet = new LoggedPacket("in.a.db", Other.Addresses[0], Db.Addresses[0], LoggedProtocol.Tcp, 6, true, 40000, 5432);
        Assert.Equal("TCP b/other (10.32.0.14):40000 -> a/db (10.32.0.12):5432 dropped at ingress of a/db, isolated by a/db-from-web, a/default-deny",
            DropLogger.Describe(packet, controller.Snapshot));
        var outside = new LoggedPacket("eg.a.web", Web.Addresses[0], System.Net.IPAddress.Parse("192.0.2.7"), LoggedProtocol.Udp, 17, true, 5353, 53);
        Assert.Equal("UDP a/web (10.32.0.11):5353 -> 192.0.2.7:53 dropped at egress of a/web, isolated by a/web-out",
            DropLogger.Describe(outside, controller.Snapshot));
    }

    [Theory]
    [InlineData("a/nope", "a/db", "80/TCP", "source a/nope: no such pod")]
    [InlineData("a/web", "10.32", "80/TCP", "destination '10.32' is neither namespace/name nor an IPv4 or IPv6 address")]
    [InlineData("a/web", "a/db", "80/ICMP", "the protocol must be TCP, UDP or SCTP")]
    [InlineData("a/web", "a/db", "0/TCP", "a port from 1 to 65535")]
    [InlineData("a/web", "a/db", "http", "a port from 1 to 65535")]
    [InlineData("a/web", "a/db", "80/TCP/x", "want PORT/PROTOCOL")]
    [InlineData("", "a/db", "80", "no source")]
    [InlineData("a/web", "a/db", null, "no port")]
    [InlineData("a/web", "fe80::1%eth0", "80", "neither namespace/name nor")]
    public void FlowQuery_BadInput_SaysWhatWasWrong(string? from, string? to, string? port, string expected)
    {
        PolicyController controller = NewController();
        ListTheSampleCluster();
        controller.Step();
        Assert.False(FlowQuery.TryParse(controller.Snapshot, from, to, port, out _, out string error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static string Counters(params (string Name, long Packets)[] counters) =>
        "table inet weave-npc {\n" + string.Concat(counters.Select(c => $"\tcounter {c.Name} {{\n\t\tpackets {c.Packets} bytes {c.Packets * 60}\n\t}}\n")) + "}\n";

    private static byte[] WithPhase(byte[] pod, string phase)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(pod)!.AsObject();
        if (node["status"] is not System.Text.Json.Nodes.JsonObject status)
        {
            status = [];
            node["status"] = status;
        }
        status["phase"] = phase;
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }
}
