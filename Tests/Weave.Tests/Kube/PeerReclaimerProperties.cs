using System.Collections.Concurrent;
using System.Net;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Kube.Api;
using Weave.Kube.Peers;

namespace Weave.Tests.Kube;

/// <summary>
/// The reclaim protocol's law, over random races: any number of live routers reclaiming at once,
/// the API refusing updates as conflicts at random, and one router dying right after its first
/// rmpeer and starting again. However it interleaves, every dead peer's space is taken over by
/// exactly one router (the one that died may repeat its own, which is harmless), every dead peer
/// leaves the list, and no lock is left. A failure names its seed.
/// </summary>
public sealed class PeerReclaimerProperties
{
    [Property(MaxTest = 40)]
    public bool Reclaim_UnderRacesConflictsAndACrash_TakesEachDeadPeerOverOnce(int seed)
    {
        string? failure = Run(seed).Failure;
        return failure is null ? true : throw new Xunit.Sdk.XunitException($"seed {seed}: {failure}");
    }

    /// <summary>The runs are not vacuous: across a few seeds routers do crash midway and updates do conflict.</summary>
    [Xunit.Fact]
    public void RandomRuns_IncludeCrashesAndConflicts()
    {
        var runs = Enumerable.Range(1, 12).Select(Run).ToList();
        Xunit.Assert.All(runs, r => Xunit.Assert.Null(r.Failure));
        Xunit.Assert.Contains(runs, r => r.Crashed);
        Xunit.Assert.True(runs.Sum(r => r.Conflicts) > 0);
    }

    private static (string? Failure, bool Crashed, int Conflicts) Run(int seed)
    {
        var outcome = Check(seed, out bool crashed, out int conflicts);
        return (outcome, crashed, conflicts);
    }

    private static string? Check(int seed, out bool crashedAtAll, out int conflictCount)
    {
        var random = new Random(seed);
        int liveCount = random.Next(1, 5), deadCount = random.Next(1, 4);
        double conflictRate = random.NextDouble() * 0.3;
        int crashing = random.Next(liveCount);
        string[] live = [.. Enumerable.Range(0, liveCount).Select(i => $"aa:{i:x2}")];
        string[] dead = [.. Enumerable.Range(0, deadCount).Select(i => $"dd:{i:x2}")];
        var api = new FakeKubeApi();
        api.SetAnnotations(new Dictionary<string, string>
        {
            [PeerRegistry.PeersKey] = new PeerList([.. live.Select((p, i) => new PeerEntry(p, $"live{i}")), .. dead.Select((p, i) => new PeerEntry(p, $"dead{i}"))]).ToJson(),
        });
        var faults = new Random(seed ^ 0x5eed);
        int conflicts = 0;
        api.Fault = what =>
        {
            lock (faults)
            {
                if (what == "update configmaps" && faults.NextDouble() < conflictRate)
                {
                    conflicts++;
                    return new KubeApiException(what, HttpStatusCode.Conflict, "Conflict", "the object has been modified");
                }
                return null;
            }
        };
        var removals = new ConcurrentBag<(string Router, string Peer)>();
        HashSet<string> liveNodes = [.. Enumerable.Range(0, liveCount).Select(i => $"live{i}")];
        bool crashed = false;

        Task Reclaim(int router, bool mayCrash)
        {
            bool dying = false;
            var remover = new RecordingRemover(live[router], removals, () => dying = mayCrash && !crashed);
            var view = new FaultingApi(api, what => dying && what == "update configmaps" ? new IOException("killed") : null);
            var reclaimer = new PeerReclaimer(new PeerRegistry(view, "kube-system", TimeProvider.System, new Random(seed + router)),
                remover, live[router], $"live{router}", TimeProvider.System, NullLogger.Instance);
            return Task.Run(async () =>
            {
                try
                {
                    _ = await reclaimer.ReclaimAsync(liveNodes, CancellationToken.None);
                }
                catch (IOException) when (dying)
                {
                    crashed = true;
                }
            });
        }

        Task.WaitAll([.. Enumerable.Range(0, liveCount).Select(r => Reclaim(r, r == crashing))]);
        if (crashed)
        {
            Reclaim(crashing, mayCrash: false).Wait(); // it starts again
        }
        crashedAtAll = crashed;
        conflictCount = conflicts;

        PeerList list = PeerList.TryParse(api.Annotations()[PeerRegistry.PeersKey], out PeerList l, out _) ? l : PeerList.Empty;
        if (list.Peers.Any(p => dead.Contains(p.PeerName)))
        {
            return $"dead peers left in the list: {list.ToJson()}";
        }
        if (list.Peers.Count != liveCount)
        {
            return $"live peers lost from the list: {list.ToJson()}";
        }
        if (api.Annotations().Keys.Any(k => k != PeerRegistry.PeersKey))
        {
            return "locks left: " + string.Join(", ", api.Annotations().Keys);
        }
        foreach (string peer in dead)
        {
            string[] routers = [.. removals.Where(r => r.Peer == peer).Select(r => r.Router).Distinct()];
            if (routers.Length != 1)
            {
                return $"{peer} taken over by {routers.Length} routers ({string.Join(", ", routers)}); live {liveCount}, dead {deadCount}, conflicts {conflictRate:F2}, crashing {crashing}";
            }
        }
        return null;
    }

    private sealed class RecordingRemover(string router, ConcurrentBag<(string, string)> removals, Action afterRemoval) : IPeerRemover
    {
        public Task<PeerRemoval> RemovePeerAsync(string peerName, CancellationToken ct)
        {
            removals.Add((router, peerName));
            afterRemoval();
            return Task.FromResult(new PeerRemoval(PeerRemovalOutcome.Removed, "taken over"));
        }
    }

    /// <summary>One router's view of the shared API, where that router's own requests may fail.</summary>
    private sealed class FaultingApi(IKubeApi inner, Func<string, Exception?> fault) : IKubeApi
    {
        public string Server => inner.Server;

        private void Check(string what)
        {
            if (fault(what) is { } e)
            {
                throw e;
            }
        }

        public Task<KubeVersion> GetVersionAsync(CancellationToken ct) => inner.GetVersionAsync(ct);

        public Task<KubeNodeList> ListNodesAsync(CancellationToken ct) => inner.ListNodesAsync(ct);

        public IAsyncEnumerable<NodeEvent> WatchNodesAsync(string resourceVersion, CancellationToken ct) => inner.WatchNodesAsync(resourceVersion, ct);

        public Task PatchNodeConditionAsync(string node, NodeCondition condition, CancellationToken ct) => inner.PatchNodeConditionAsync(node, condition, ct);

        public Task<KubeConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken ct) => inner.GetConfigMapAsync(ns, name, ct);

        public Task<KubeConfigMap> CreateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct) => inner.CreateConfigMapAsync(configMap, ct);

        public Task<KubeConfigMap> UpdateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct)
        {
            Check("update configmaps");
            return inner.UpdateConfigMapAsync(configMap, ct);
        }
    }
}
