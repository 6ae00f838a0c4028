using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Tests.Ipam.Simulation;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// Several clusters on one mesh (issue 21), step by step: a cluster keeps allocating while another
/// is cut in half, a cluster whose own links are down allocates through another cluster's router,
/// rmpeer in one cluster leaves another alone. And the checks catch a router that mixes clusters
/// up: one that hands a cluster's messages to another's allocators, lists other clusters' peers in
/// the peer view, or does not relay other clusters' messages.
/// </summary>
public sealed class MultiClusterSimulationTests
{
    private static SimClusterSpec Cluster(string name, string range, bool consensus, int joiners, params int[] members) =>
        new(name, Cidr.Parse(range), consensus, joiners, members);

    private static IpamSim Mesh(SimFaults faults, params SimClusterSpec[] clusters) =>
        new(1, new IpamSimParameters(clusters.Sum(c => c.Members.Count), 0, 0, 0, ScheduleKind.Clusters, clusters), faults: faults);

    private static void Flush(IpamSim sim)
    {
        while (sim.InFlight > 0)
        {
            sim.DeliverOne(faults: false);
        }
    }

    /// <summary>Gossip intervals: a tick, every state to every reachable peer of its cluster, lossless delivery; safety after each.</summary>
    private static void Settle(IpamSim sim, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            sim.Advance(TimeSpan.FromSeconds(5));
            sim.GossipRound(everyone: true);
            Flush(sim);
            sim.CheckSafety();
        }
    }

    private static List<(string Id, System.Net.IPAddress Address)> Held(SimReplica r) => [.. r.Allocator!.List().Select(a => (a.Id, a.Address))];

    [Fact]
    public void AClusterWithAQuorum_KeepsAllocating_WhileAnotherIsCutInHalf()
    {
        IpamSim sim = Mesh(SimFaults.None,
            Cluster("a", "10.32.0.0/24", consensus: true, 0, 0, 2, 4),
            Cluster("b", "10.32.1.0/24", consensus: true, 0, 1, 3, 5, 6));
        SimCluster a = sim.Clusters[0], b = sim.Clusters[1];
        sim.Replicas[1].Group = 1;
        sim.Replicas[3].Group = 1;
        sim.PeersChanged();
        // In one /28 of a's range, which lies in one peer's share: the others need space from it.
        Task<AllocationResult>[] requests = [.. a.Members.Select(r => r.Allocator!.Allocate($"pod{r.Index}", a.Subnets[2]))];
        foreach (SimReplica r in b.Members)
        {
            Assert.False(r.Allocator!.CheckReady());
        }
        Settle(sim, 4);

        Assert.All(requests, t => Assert.True(t.Done().Succeeded && a.Subnets[2].Contains(t.Done().Address!), t.Done().Message));
        Assert.True(sim.Donations >= 2, $"{sim.Donations} donations");
        Assert.All(a.Members, r => Assert.Equal(a.Members[0].Allocator!.Ring, r.Allocator!.Ring));
        Assert.All(b.Members, r => Assert.True(r.Allocator!.Ring.IsEmpty));
        Assert.Equal("awaiting consensus (quorum: 3, known: 2)", sim.Replicas[1].Allocator!.Status().State);
        Assert.Equal("awaiting consensus (quorum: 3, known: 2)", sim.Replicas[5].Allocator!.Status().State);

        var before = a.Members.ToDictionary(r => r, Held);
        foreach (SimReplica r in sim.Replicas)
        {
            r.Group = 0;
        }
        sim.PeersChanged();
        Task<AllocationResult>[] late = [.. b.Members.Select(r => r.Allocator!.Allocate($"pod{r.Index}"))];
        Settle(sim, 4);

        Assert.All(late, t => Assert.True(t.Done().Succeeded && b.Range.Contains(t.Done().Address!), t.Done().Message));
        Ring ring = b.Members[0].Allocator!.Ring;
        Assert.Equal(b.Members.Select(r => r.Name).Order(), ring.Seeds.ToArray());
        Assert.All(b.Members, r => Assert.Equal(ring, r.Allocator!.Ring));
        Assert.All(a.Members, r => Assert.Equal(before[r], Held(r)));
    }

    [Fact]
    public void AClusterWhoseOwnLinksAreDown_AllocatesThroughAnotherClustersRouter()
    {
        // a: r0 seeds the whole range, r1 joins with none; b: r2 alone, the only way between them.
        IpamSim sim = Mesh(SimFaults.None,
            Cluster("a", "10.32.0.0/24", consensus: false, joiners: 1, 0, 1),
            Cluster("b", "10.32.1.0/24", consensus: false, 0, 2));
        SimReplica owner = sim.Replicas[0], joiner = sim.Replicas[1], relay = sim.Replicas[2];
        sim.CutLink(owner, joiner);
        sim.PeersChanged();
        Assert.True(joiner.Allocator!.Status().Peers.Single(p => p.Name == owner.Name).Reachable);

        Task<AllocationResult> request = joiner.Allocator.Allocate("pod");
        Flush(sim);
        AllocationResult result = request.Done();
        Assert.True(result.Succeeded, result.Message);
        Assert.True(sim.Clusters[0].Range.Contains(result.Address!));
        Assert.Equal(1, sim.Donations);
        Assert.True(sim.RelayedDeliveries > 0);
        Assert.Equal(sim.Clusters[1].Range, relay.Allocator!.Ring.Range);
        Assert.Equal(0, relay.Allocator.RejectedMessages);

        relay.Crash();
        sim.PeersChanged();
        Assert.False(joiner.Allocator.Status().Peers.Single(p => p.Name == owner.Name).Reachable);
        Task<AllocationResult> claim = joiner.Allocator.Claim("claimed", System.Net.IPAddress.Parse("10.32.0.9"), 24);
        Settle(sim, 2);
        Assert.False(claim.IsCompleted);
        sim.Start(relay);
        sim.PeersChanged();
        Settle(sim, 2);
        Assert.True(claim.Done().Succeeded, claim.Done().Message);
    }

    [Fact]
    public void RmpeerInOneCluster_LeavesAnotherClusterAlone()
    {
        IpamSim sim = Mesh(SimFaults.None,
            Cluster("a", "10.32.0.0/24", consensus: false, 0, 0, 1, 2),
            Cluster("b", "10.32.1.0/24", consensus: false, 0, 3, 4, 5));
        SimCluster a = sim.Clusters[0], b = sim.Clusters[1];
        foreach (SimReplica r in sim.Replicas)
        {
            Assert.True(r.Allocator!.Allocate($"pod{r.Index}").Done().Succeeded);
        }
        Settle(sim, 2);
        Dictionary<SimReplica, Ring> rings = b.Members.ToDictionary(r => r, r => r.Allocator!.Ring);
        var held = b.Members.ToDictionary(r => r, Held);

        SimReplica dead = sim.Replicas[1];
        dead.Crash();
        dead.Gone = true;
        sim.PeersChanged();
        Assert.True(sim.Replicas[0].Allocator!.RemovePeer(dead.NickName).Done().Addresses > 0);
        SimReplica other = sim.Replicas[3];
        Assert.Equal(IpamErrorKind.NotFound, other.Allocator!.RemovePeer(dead.NickName).Done().Error);
        Assert.Equal(0, other.Allocator.RemovePeer(dead.Name.ToString()).Done().Addresses);
        Settle(sim, 2);

        Assert.All(a.Members.Where(r => r.Live), r => Assert.DoesNotContain(r.Allocator!.Ring.Entries.ToArray(), e => e.Owner == dead.Name));
        Assert.All(b.Members, r => Assert.Same(rings[r], r.Allocator!.Ring));
        Assert.All(b.Members, r => Assert.Equal(held[r], Held(r)));
        Assert.True(sim.Replicas[4].Allocator!.Allocate("more").Done().Succeeded);
    }

    [Fact]
    public void GossipLeakingToAnotherCluster_FailsTheChecks_NamingBothRanges()
    {
        IpamSim sim = Mesh(SimFaults.GossipLeak,
            Cluster("a", "10.32.0.0/24", consensus: false, 0, 0, 1),
            Cluster("b", "10.32.1.0/26", consensus: false, 0, 2, 3));
        Ring[] before = [.. sim.Replicas.Select(r => r.Allocator!.Ring)];
        sim.GossipRound(everyone: true);
        Flush(sim);
        var failure = Assert.Throws<Xunit.Sdk.XunitException>(sim.CheckSafety);
        Assert.Contains("refused a ring update", failure.Message, StringComparison.Ordinal);
        Assert.Contains("incompatible IP allocation ranges", failure.Message, StringComparison.Ordinal);
        Assert.Contains("10.32.0.0/24", failure.Message, StringComparison.Ordinal);
        Assert.Contains("10.32.1.0/26", failure.Message, StringComparison.Ordinal);
        // The allocators refused the foreign rings whole: the leak is caught, not obeyed.
        Assert.Equal(before, sim.Replicas.Select(r => r.Allocator!.Ring));
    }

    [Fact]
    public void GossipLeakingToAnotherCluster_FailsEveryRandomSchedule_ThatPassesWithoutIt()
    {
        int checkedSeeds = 0;
        for (int seed = 1; checkedSeeds < 12; seed++)
        {
            if (IpamSimParameters.ClustersFromSeed(seed).Clusters.Count < 2)
            {
                continue;
            }
            checkedSeeds++;
            IpamSim.RunClusters(seed);
            var failure = Assert.Throws<Xunit.Sdk.XunitException>(() => IpamSim.RunClusters(seed, SimFaults.GossipLeak));
            Assert.Contains($"{IpamSim.SeedVariable}=clusters:{seed}, and the test-only fault GossipLeak", failure.Message, StringComparison.Ordinal);
            Assert.Matches("incompatible IP allocation ranges|consensus for range", failure.Message);
        }
    }

    [Fact]
    public void APeerViewListingAnotherClustersPeers_FailsTheChecks_WhenAHandOffGivesThemSpace()
    {
        // a: r1 seeds the whole range, r2 joins with none; b: r0, whose name is the lowest. A
        // hand-off with no owner to give to goes to the lowest-named reachable peer it is told of.
        foreach (SimFaults faults in new[] { SimFaults.None, SimFaults.PeerViewLeak })
        {
            IpamSim sim = Mesh(faults,
                Cluster("a", "10.32.0.0/24", consensus: false, joiners: 1, 1, 2),
                Cluster("b", "10.32.1.0/24", consensus: false, 0, 0));
            Assert.True(sim.Replicas[0].Name < sim.Replicas[2].Name);
            SimReplica leaver = sim.Replicas[1];
            Assert.True(leaver.Allocator!.HandOff().Done().Succeeded);
            if (faults == SimFaults.None)
            {
                Assert.Equal(sim.Replicas[2].Name, leaver.Allocator.Ring.Entries[0].Owner);
                sim.CheckSafety();
                continue;
            }
            var failure = Assert.Throws<Xunit.Sdk.XunitException>(sim.CheckSafety);
            Assert.Contains("FOREIGN PEER IN A RING", failure.Message, StringComparison.Ordinal);
            Assert.Contains("r0@b of cluster b", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ARouterThatRelaysOnlyItsOwnCluster_FailsTheProbe_OfACutOffCluster()
    {
        foreach (SimFaults faults in new[] { SimFaults.None, SimFaults.NoForeignRelay })
        {
            IpamSim sim = Mesh(faults,
                Cluster("a", "10.32.0.0/24", consensus: false, joiners: 1, 0, 1),
                Cluster("b", "10.32.1.0/24", consensus: false, 0, 2));
            SimCluster a = sim.Clusters[0];
            sim.CutLink(sim.Replicas[0], sim.Replicas[1]);
            sim.PeersChanged();
            Assert.True(sim.Healthy(a));
            if (faults == SimFaults.None)
            {
                sim.Probe(a, sim.Replicas[1], a.Range);
                Assert.Equal(1, sim.Probes);
                continue;
            }
            var failure = Assert.Throws<Xunit.Sdk.XunitException>(() => sim.Probe(a, sim.Replicas[1], a.Range));
            Assert.Contains("BLOCKED: cluster a (10.32.0.0/24), every peer up and reachable", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ASchedule_ReplaysIdentically_AndAFailureNamesItsReplay()
    {
        IpamSim one = IpamSim.RunClusters(7), two = IpamSim.RunClusters(7);
        Assert.Equal(one.Steps, two.Steps);
        Assert.Equal(one.Probes, two.Probes);
        Assert.Equal(one.Replicas.Select(r => r.Allocator?.Ring), two.Replicas.Select(r => r.Allocator?.Ring));
        Assert.Equal(one.Replicas.Select(r => string.Join(",", r.Held.Order())), two.Replicas.Select(r => string.Join(",", r.Held.Order())));

        var first = Assert.Throws<Xunit.Sdk.XunitException>(() => IpamSim.RunClusters(7, SimFaults.GossipLeak));
        var again = Assert.Throws<Xunit.Sdk.XunitException>(() => IpamSim.RunClusters(7, SimFaults.GossipLeak));
        Assert.Equal(first.Message, again.Message);
        Assert.True(IpamSim.TryParseReplayKey("clusters:7", out ScheduleKind kind, out int seed, out _));
        Assert.Equal((ScheduleKind.Clusters, 7), (kind, seed));
        Assert.True(IpamSim.TryParseReplayKey("7", out kind, out seed, out _));
        Assert.Equal((ScheduleKind.OneCluster, 7), (kind, seed));
        Assert.False(IpamSim.TryParseReplayKey("clusters:seven", out _, out _, out string error));
        Assert.Contains("'clusters:seven' is not a schedule's seed", error, StringComparison.Ordinal);
    }
}
