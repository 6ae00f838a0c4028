using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Weave.Kube;
using Weave.Kube.Peers;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class KubeAddOnTests
{
    private static readonly KubeAddOnOptions s_node1 = new() { NodeName = "node1", PeerName = "aa:00", Namespace = "kube-system" };

    private static FakeKubeApi ThreeNodes()
    {
        var api = new FakeKubeApi();
        api.AddNode("node1", "10.0.0.11");
        api.AddNode("node2", "10.0.0.12");
        api.AddNode("node3", "10.0.0.13");
        return api;
    }

    private static async Task<T> Driving<T>(Task<T> task, FakeTimeProvider time)
    {
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }
        return await task;
    }

    [Fact]
    public async Task Prepare_OtherNodesAreTargets_AndEveryNodeCountsForConsensus()
    {
        var addOn = new KubeAddOn(ThreeNodes(), s_node1, TimeProvider.System, new Random(1), new ListLogger());
        KubeStart start = await addOn.PrepareAsync(_ => false, CancellationToken.None);
        Assert.Equal([IPAddress.Parse("10.0.0.12"), IPAddress.Parse("10.0.0.13")], start.Targets);
        Assert.Equal(3, start.NodeCount);
        Assert.False(start.ReclaimedWhileDown);
    }

    [Fact]
    public async Task Prepare_ApiDownAtStart_RetriesAndSaysWhyOnce()
    {
        FakeKubeApi api = ThreeNodes();
        int failures = 0;
        api.Fault = what => what == "get version" && ++failures <= 5 ? FakeKubeApi.Unreachable(what) : null;
        var log = new ListLogger();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);

        KubeStart start = await Driving(new KubeAddOn(api, s_node1, time, new Random(1), log).PrepareAsync(_ => false, CancellationToken.None), time);

        Assert.Equal(3, start.NodeCount);
        Assert.Equal(1, log.Count("cannot reach the Kubernetes API at https://fake"));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("retrying in 1 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Prepare_RbacMissingAVerb_IsOneErrorLineNamingIt()
    {
        FakeKubeApi api = ThreeNodes();
        int refusals = 0;
        api.Fault = what => what == "list nodes" && ++refusals <= 4 ? FakeKubeApi.Forbidden(what) : null;
        var log = new ListLogger();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);

        _ = await Driving(new KubeAddOn(api, s_node1, time, new Random(1), log).PrepareAsync(_ => false, CancellationToken.None), time);

        (LogLevel Level, string Message) line = Assert.Single(log.Lines, l => l.Message.Contains("RBAC", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains("refused to list nodes", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_OthersListedButNotUs_MeansReclaimedWhileDown()
    {
        FakeKubeApi api = ThreeNodes();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = new PeerList([new PeerEntry("bb:00", "node2")]).ToJson() });
        KubeStart start = await new KubeAddOn(api, s_node1, TimeProvider.System, new Random(1), new ListLogger()).PrepareAsync(_ => false, CancellationToken.None);
        Assert.True(start.ReclaimedWhileDown);

        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = new PeerList([new PeerEntry("aa:00", "node1"), new PeerEntry("bb:00", "node2")]).ToJson() });
        start = await new KubeAddOn(api, s_node1, TimeProvider.System, new Random(1), new ListLogger()).PrepareAsync(_ => false, CancellationToken.None);
        Assert.False(start.ReclaimedWhileDown);
    }

    [Fact]
    public async Task Run_FollowsNodes_RegistersItself_MarksNetworkUp_AndReclaimsADeletedNode()
    {
        FakeKubeApi api = ThreeNodes();
        api.SetAnnotations(new Dictionary<string, string>
        {
            [PeerRegistry.PeersKey] = new PeerList([new PeerEntry("bb:00", "node2"), new PeerEntry("cc:00", "node3")]).ToJson(),
        });
        var mesh = new FakeMeshTargets(IPAddress.Parse("10.0.0.12"), IPAddress.Parse("10.0.0.13"), IPAddress.Parse("192.0.2.7"));
        var remover = new FakePeerRemover();
        var addOn = new KubeAddOn(api, s_node1, TimeProvider.System, new Random(1), new ListLogger());
        using var stop = new CancellationTokenSource();

        Task running = addOn.RunAsync(mesh, remover, [IPAddress.Parse("10.0.0.12"), IPAddress.Parse("10.0.0.13")], _ => false, stop.Token);
        await Eventually(() => api.Patches.Count == 1 && PeersListed(api).Contains("aa:00"));
        (string node, Weave.Kube.Api.NodeCondition condition) = api.Patches[0];
        Assert.Equal(("node1", "NetworkUnavailable", "False", "WeaveIsUp"), (node, condition.Type, condition.Status, condition.Reason));

        api.AddNode("node4", "10.0.0.14");
        await Eventually(() => mesh.Targets.Contains("10.0.0.14"));

        api.DeleteNode("node3");
        await Eventually(() => !mesh.Targets.Contains("10.0.0.13") && !PeersListed(api).Contains("cc:00"), TimeSpan.FromSeconds(20));
        Assert.Equal(1, remover.Calls["cc:00"]);
        // A target someone added by hand is never the add-on's to forget.
        Assert.Contains("192.0.2.7", mesh.Targets);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Run_ALoopFails_EndsTheOthersAndThrows()
    {
        FakeKubeApi api = ThreeNodes();
        var remover = new FakePeerRemover { Answer = _ => throw new InvalidOperationException("a bug in rmpeer") };
        var addOn = new KubeAddOn(api, s_node1, TimeProvider.System, new Random(1), new ListLogger());
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = new PeerList([new PeerEntry("dd:00", "gone")]).ToJson() });

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            addOn.RunAsync(new FakeMeshTargets(), remover, [], _ => false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("a bug in rmpeer", e.Message);
    }

    private static List<string> PeersListed(FakeKubeApi api) =>
        PeerList.TryParse(api.Annotations().GetValueOrDefault(PeerRegistry.PeersKey, "{}"), out PeerList list, out _) ? [.. list.Peers.Select(p => p.PeerName)] : [];

    private static async Task Eventually(Func<bool> condition, TimeSpan? within = null)
    {
        DateTime deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
