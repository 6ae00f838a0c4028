using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Tests.Ipam.Simulation;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class ConsensusTests
{
    private static IpamSimParameters Params(int replicas) =>
        IpamSimParameters.OneCluster(replicas, 0, 0, 0, consensus: true, Cidr.Parse("10.32.0.0/24"), 0);

    private static void Settle(IpamSim sim, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            sim.Advance(TimeSpan.FromSeconds(5));
            sim.GossipRound(everyone: true);
            while (sim.InFlight > 0)
            {
                sim.DeliverOne(faults: false);
            }
            sim.CheckSafety();
        }
    }

    [Fact]
    public void ThreePeers_Consensus3_AgreeOnOneRingSplitAmongAll()
    {
        var sim = new IpamSim(11, Params(3));
        SimReplica first = sim.Replicas[0];
        Assert.StartsWith("idle", first.Allocator!.Status().State, StringComparison.Ordinal);
        Task<AllocationResult> pending = first.Allocator.Allocate("pod");
        Assert.False(pending.IsCompleted);
        Assert.Equal("awaiting consensus (quorum: 2, known: 1)", first.Allocator.Status().State);
        Settle(sim, 3);
        Ring ring = first.Allocator.Ring;
        Assert.False(ring.IsEmpty);
        Assert.Equal(sim.Replicas.Select(r => r.Name).Order(), ring.Seeds.ToArray());
        Assert.All(sim.Replicas, r => Assert.Equal(ring, r.Allocator!.Ring));
        Assert.All(sim.Replicas, r => Assert.Equal("ready", r.Allocator!.Status().State));
        Assert.True(pending.Done().Succeeded);
    }

    [Fact]
    public void TwoDisjointHalves_NeverBothSeed_WhenTheQuorumNeedsBoth()
    {
        for (int seed = 1; seed <= 20; seed++)
        {
            var sim = new IpamSim(seed, Params(4));
            for (int i = 0; i < 4; i++)
            {
                sim.Replicas[i].Group = i < 2 ? 0 : 1;
            }
            foreach (SimReplica r in sim.Replicas)
            {
                r.Allocator!.Allocate("pod");
            }
            Settle(sim, 6);
            Assert.All(sim.Replicas, r => Assert.True(r.Allocator!.Ring.IsEmpty, $"seed {seed}: {r} seeded without a quorum"));
            Assert.Equal("awaiting consensus (quorum: 3, known: 2)", sim.Replicas[0].Allocator!.Status().State);
            sim.Quiesce();
            Ring ring = sim.Replicas[0].Allocator!.Ring;
            Assert.All(sim.Replicas, r => Assert.Equal(ring, r.Allocator!.Ring));
        }
    }

    [Fact]
    public void IndependentlySeededRings_Meeting_AreRefusedNamingBothSeedSets()
    {
        var sim = new IpamSim(5, Params(4), (r, o) => o with { Init = IpamInit.Seed([r.Index < 2 ? P(0) : P(2)]) });
        static PeerName P(int i) => IpamSim.NameOf(i);
        Settle(sim, 0);
        sim.GossipRound(everyone: true);
        while (sim.InFlight > 0)
        {
            sim.DeliverOne(faults: false);
        }
        Assert.True(sim.RefusedRings > 0);
        string? conflict = sim.Replicas[0].Allocator!.Status().Conflict;
        Assert.NotNull(conflict);
        Assert.Contains("seeded by different peers", conflict, StringComparison.Ordinal);
        Assert.Contains(P(0).ToString(), conflict, StringComparison.Ordinal);
        Assert.Contains(P(2).ToString(), conflict, StringComparison.Ordinal);
        Assert.Contains("delete", conflict, StringComparison.Ordinal);
        Assert.Equal([P(0)], sim.Replicas[1].Allocator!.Ring.Seeds.ToArray());
        Assert.Equal([P(2)], sim.Replicas[3].Allocator!.Ring.Seeds.ToArray());
    }

    [Fact]
    public void Observer_WaitsForARing_ThenAllocates()
    {
        var sim = new IpamSim(3, Params(3), (r, o) => r.Index == 2 ? o with { Init = IpamInit.Observer } : o with { Init = IpamInit.Consensus(2) });
        SimReplica observer = sim.Replicas[2];
        Task<AllocationResult> pending = observer.Allocator!.Allocate("pod");
        Settle(sim, 2);
        Assert.Equal("waiting for a ring (observer)", observer.Allocator.Status().State);
        Assert.False(pending.IsCompleted);
        sim.Replicas[0].Allocator!.CheckReady();
        Settle(sim, 4);
        Assert.False(observer.Allocator.Ring.IsEmpty);
        Assert.DoesNotContain(observer.Name, observer.Allocator.Ring.Seeds.ToArray());
        Assert.True(pending.IsCompleted);
        Assert.True(pending.Done().Succeeded, pending.Done().Message);
    }

    [Fact]
    public void Consensus_WithAPeerMissing_TimesOutWithTheReason()
    {
        var sim = new IpamSim(9, Params(3));
        sim.Replicas[1].Crash();
        sim.Replicas[2].Crash();
        Task<AllocationResult> pending = sim.Replicas[0].Allocator!.Allocate("pod");
        for (int i = 0; i < 8; i++)
        {
            sim.Advance(TimeSpan.FromSeconds(5));
        }
        AllocationResult result = pending.Done();
        Assert.Equal(IpamErrorKind.NotReady, result.Error);
        Assert.Contains("awaiting consensus (quorum: 2, known: 1)", result.Message, StringComparison.Ordinal);
    }
}
