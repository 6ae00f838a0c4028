using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weave.Kube.Api;
using Weave.Kube.Peers;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class PeerReclaimerTests
{
    private const string Ns = "kube-system";

    private static string List(params (string Peer, string Node)[] peers) =>
        new PeerList([.. peers.Select(p => new PeerEntry(p.Peer, p.Node))]).ToJson();

    private static PeerList ListIn(FakeKubeApi api) =>
        PeerList.TryParse(api.Annotations().GetValueOrDefault(PeerRegistry.PeersKey, "{}"), out PeerList list, out _) ? list : PeerList.Empty;

    private static PeerReclaimer Reclaimer(IKubeApi api, IPeerRemover remover, string self, string node, TimeProvider? time = null) =>
        new(new PeerRegistry(api, Ns, time ?? TimeProvider.System, new Random(1)), remover, self, node, time ?? TimeProvider.System, NullLogger.Instance);

    private static readonly HashSet<string> s_live = ["node-a", "node-b", "node-c"];

    [Fact]
    public async Task Reclaim_PeerOfDeletedNode_IsRemovedFromRingAndListAndLeavesNoLock()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("dd:00", "node-d")) });
        var remover = new FakePeerRemover();

        int reclaimed = await Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None);

        Assert.Equal(1, reclaimed);
        Assert.Equal(1, remover.Calls["dd:00"]);
        Assert.Equal([new PeerEntry("aa:00", "node-a")], ListIn(api).Peers);
        Assert.DoesNotContain(api.Annotations().Keys, k => k != PeerRegistry.PeersKey);
    }

    [Fact]
    public async Task Reclaim_NothingGone_ChangesNothing()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("bb:00", "node-b")) });
        var remover = new FakePeerRemover();

        Assert.Equal(0, await Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Empty(remover.Calls);
        Assert.Equal(0, api.Updates);
    }

    [Fact]
    public async Task Reclaim_ManyRoutersRacing_RemoveEachDeadPeerExactlyOnce()
    {
        for (int round = 0; round < 10; round++)
        {
            var api = new FakeKubeApi();
            (string, string)[] peers = [("aa:00", "node-a"), ("bb:00", "node-b"), ("cc:00", "node-c"), ("d1:00", "node-d1"), ("d2:00", "node-d2"), ("d3:00", "node-d3")];
            api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(peers) });
            var remover = new FakePeerRemover();

            Task<int>[] racing = [.. peers.Take(3).Select(p => Task.Run(() => Reclaimer(api, remover, p.Item1, p.Item2).ReclaimAsync(s_live, CancellationToken.None)))];
            int[] counts = await Task.WhenAll(racing);

            Assert.Equal(3, counts.Sum());
            Assert.Equal(new Dictionary<string, int> { ["d1:00"] = 1, ["d2:00"] = 1, ["d3:00"] = 1 }, remover.Calls.ToDictionary(p => p.Key, p => p.Value));
            Assert.Equal(["aa:00", "bb:00", "cc:00"], ListIn(api).Peers.Select(p => p.PeerName).Order());
            Assert.DoesNotContain(api.Annotations().Keys, k => k != PeerRegistry.PeersKey);
        }
    }

    [Fact]
    public async Task Reclaim_HolderDiesAfterRmpeer_OthersWaitAndItsRestartFinishes()
    {
        var shared = new FakeKubeApi();
        shared.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("bb:00", "node-b"), ("dd:00", "node-d")) });
        var remover = new FakePeerRemover();
        bool dying = false;
        remover.Answer = peer =>
        {
            dying = true; // the process dies right after rmpeer, before it updates the list
            return new PeerRemoval(PeerRemovalOutcome.Removed, "taken over");
        };
        shared.Fault = what => dying && what == "update configmaps" ? new IOException("killed") : null;

        await Assert.ThrowsAsync<IOException>(() => Reclaimer(shared, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Equal("aa:00", shared.Annotations()[PeerRegistry.LockKey("dd:00")]);
        dying = false;
        shared.Fault = _ => null;

        // Another router sees a live router holding the lock and leaves the peer alone.
        Assert.Equal(0, await Reclaimer(shared, remover, "bb:00", "node-b").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Equal(1, remover.Calls["dd:00"]);

        // The holder restarts and finishes what it began.
        Assert.Equal(1, await Reclaimer(shared, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.DoesNotContain(ListIn(shared).Peers, p => p.PeerName == "dd:00");
        Assert.DoesNotContain(shared.Annotations().Keys, k => k != PeerRegistry.PeersKey);
    }

    [Fact]
    public async Task Reclaim_LockHeldByRouterNoLongerListed_IsTakenOver()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string>
        {
            [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("dd:00", "node-d")),
            [PeerRegistry.LockKey("dd:00")] = "zz:00",
        });
        var remover = new FakePeerRemover();

        Assert.Equal(1, await Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Equal(1, remover.Calls["dd:00"]);
        Assert.DoesNotContain(api.Annotations().Keys, k => k != PeerRegistry.PeersKey);
    }

    [Fact]
    public async Task Reclaim_DeadHolderOfAnotherLock_BothAreReclaimed()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string>
        {
            [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("d2:00", "node-d2"), ("d1:00", "node-d1")),
            // d1 died while reclaiming d2.
            [PeerRegistry.LockKey("d2:00")] = "d1:00",
        });
        var remover = new FakePeerRemover();

        Assert.Equal(2, await Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Equal(1, remover.Calls["d1:00"]);
        Assert.Equal(1, remover.Calls["d2:00"]);
        Assert.Equal(["aa:00"], ListIn(api).Peers.Select(p => p.PeerName));
        Assert.DoesNotContain(api.Annotations().Keys, k => k != PeerRegistry.PeersKey);
    }

    [Fact]
    public async Task Reclaim_OlderPeerOfOurOwnNode_IsReclaimed()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(("a0:00", "node-a"), ("aa:00", "node-a")) });
        var remover = new FakePeerRemover();

        Assert.Equal(1, await Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Equal(1, remover.Calls["a0:00"]);
        Assert.Equal([new PeerEntry("aa:00", "node-a")], ListIn(api).Peers);
    }

    [Fact]
    public async Task Reclaim_PeerStillReachable_IsRetriedThenLeftListedAndUnlocked()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = List(("aa:00", "node-a"), ("dd:00", "node-d")) });
        var remover = new FakePeerRemover { Answer = _ => new PeerRemoval(PeerRemovalOutcome.StillReachable, "peer dd:00 is reachable") };
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);

        Task<int> reclaiming = Reclaimer(api, remover, "aa:00", "node-a", time).ReclaimAsync(s_live, CancellationToken.None);
        while (!reclaiming.IsCompleted)
        {
            time.Advance(PeerReclaimer.ReachableRetry);
            await Task.Delay(1);
        }

        Assert.Equal(0, await reclaiming);
        // Retried, and no more often than the wait allows (an advance of the fake clock that comes
        // before the reclaimer's next pause is taken leaves one retry out).
        int most = (int)(PeerReclaimer.ReachableWait / PeerReclaimer.ReachableRetry) + 1;
        Assert.InRange(remover.Calls["dd:00"], 2, most);
        Assert.Contains(ListIn(api).Peers, p => p.PeerName == "dd:00");
        Assert.False(api.Annotations().ContainsKey(PeerRegistry.LockKey("dd:00")));
    }

    [Fact]
    public async Task Reclaim_UnreadablePeerList_RefusesToDecide()
    {
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string> { [PeerRegistry.PeersKey] = "{not json" });
        var remover = new FakePeerRemover();

        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => Reclaimer(api, remover, "aa:00", "node-a").ReclaimAsync(s_live, CancellationToken.None));
        Assert.Contains("kube-system/weave-net", e.Message, StringComparison.Ordinal);
        Assert.Empty(remover.Calls);
    }

    [Theory]
    [InlineData("5e:1a:00:00:00:01", "kube-peers.weave.works/5e_1a_00_00_00_01")]
    [InlineData("a.b-c_d", "kube-peers.weave.works/a.b-c_d")]
    public void LockKey_IsAValidAnnotationName(string peer, string key) => Assert.Equal(key, PeerRegistry.LockKey(peer));
}
