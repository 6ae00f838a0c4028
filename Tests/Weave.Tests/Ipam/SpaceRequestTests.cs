using Weave.Ipam;
using Weave.Tests.Ipam.Simulation;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// A peer's denial of a space request speaks for its ring, which may be behind the asker's. The
/// asker waits and asks again at the next tick rather than answer "no free addresses" while its
/// ring shows a reachable peer with free space (found by the several-cluster simulation: a healthy
/// cluster refused an allocation right after its consensus, and right after an rmpeer).
/// </summary>
public sealed class SpaceRequestTests
{
    private static readonly Cidr UpperHalf = Cidr.Parse("10.32.0.128/26");

    private static void Flush(IpamSim sim)
    {
        while (sim.InFlight > 0)
        {
            sim.DeliverOne(faults: false);
        }
    }

    /// <summary>Ticks, gossip and lossless delivery until the request is answered (at most a minute).</summary>
    private static AllocationResult Settle(IpamSim sim, Task<AllocationResult> request)
    {
        for (int second = 0; second < 60 && !request.IsCompleted; second++)
        {
            sim.GossipRound(everyone: true);
            Flush(sim);
            sim.Advance(TimeSpan.FromSeconds(1));
            Flush(sim);
        }
        return request.Done();
    }

    [Fact]
    public void Allocate_FromAPeerThatHasNotLearntTheRingYet_WaitsForIt_NotNoSpace()
    {
        // r1 stands for a peer that has not heard the ring yet (as after a consensus it missed):
        // the ring, seeded with both, gives it the upper half, but it holds none yet.
        var sim = new IpamSim(1, IpamSimParameters.OneCluster(2, 0, 0, 0, consensus: false, Cidr.Parse("10.32.0.0/24"), 0),
            (r, o) => r.Index == 1 ? o with { Init = IpamInit.Observer } : o);
        SimReplica asker = sim.Replicas[0], donor = sim.Replicas[1];
        Assert.True(donor.Allocator!.Ring.IsEmpty);
        Assert.Equal(donor.Name, asker.Allocator!.Ring.OwnerOf(UpperHalf.Start));

        Task<AllocationResult> request = asker.Allocator.Allocate("pod", UpperHalf);
        Flush(sim);
        Assert.False(request.IsCompleted, request.IsCompleted ? request.Done().Message : "");
        Assert.Equal(1, asker.Allocator.Status().PendingRequests);

        AllocationResult result = Settle(sim, request);
        Assert.True(result.Succeeded, result.Message);
        Assert.True(UpperHalf.Contains(result.Address!));
        Assert.Equal(1, sim.Donations);
        sim.CheckSafety();
    }

    [Fact]
    public void Allocate_FromAnHeirThatHasNotHeardOfItsInheritance_WaitsForIt_NotNoSpace()
    {
        // Seeded r0, r2, r1 in name order: r0 .0-.63, r2 .64-.127, r1 .128-.255. r1 dies and r0
        // runs rmpeer: r2 inherits the upper half, but is cut off while the change goes out.
        var sim = new IpamSim(1, IpamSimParameters.OneCluster(3, 0, 0, 0, consensus: false, Cidr.Parse("10.32.0.0/24"), 0));
        SimReplica runner = sim.Replicas[0], dead = sim.Replicas[1], heir = sim.Replicas[2];
        dead.Crash();
        dead.Gone = true;
        heir.Group = 1;
        sim.PeersChanged();
        Assert.Equal(128, runner.Allocator!.RemovePeer(dead.NickName).Done().Addresses);
        Flush(sim);
        heir.Group = 0;
        sim.PeersChanged();
        Assert.Equal(heir.Name, runner.Allocator.Ring.OwnerOf(UpperHalf.Start));
        Assert.Equal(dead.Name, heir.Allocator!.Ring.OwnerOf(UpperHalf.Start));

        Task<AllocationResult> request = runner.Allocator.Allocate("pod", UpperHalf);
        Flush(sim);
        Assert.False(request.IsCompleted, request.IsCompleted ? request.Done().Message : "");

        AllocationResult result = Settle(sim, request);
        Assert.True(result.Succeeded, result.Message);
        Assert.True(UpperHalf.Contains(result.Address!));
        sim.CheckSafety();
    }

    [Fact]
    public void Allocate_FromAPeerThatDeniesAgainAtTheNextTick_FailsThen_NotAtTheTimeout()
    {
        // r1 fills the /28 at the bottom of its half, yet reports free space: its entry spans the half.
        var sim = new IpamSim(1, IpamSimParameters.OneCluster(2, 0, 0, 0, consensus: false, Cidr.Parse("10.32.0.0/24"), 0));
        SimReplica asker = sim.Replicas[0], donor = sim.Replicas[1];
        var subnet = Cidr.Parse("10.32.0.128/28");
        for (int i = 0; i < 14; i++)
        {
            Assert.True(donor.Allocator!.Allocate($"pod{i}", subnet).Done().Succeeded);
        }
        sim.Advance(TimeSpan.FromSeconds(5));
        Flush(sim);
        Assert.True(asker.Allocator!.Status().Peers.Single(p => p.Name == donor.Name).FreeHint > 0);

        Task<AllocationResult> request = asker.Allocator.Allocate("pod", subnet);
        Flush(sim);
        Assert.False(request.IsCompleted, request.IsCompleted ? request.Done().Message : "");
        DateTimeOffset asked = sim.Time.GetUtcNow();
        AllocationResult result = Settle(sim, request);
        Assert.Equal(IpamErrorKind.NoSpace, result.Error);
        Assert.Equal("no free addresses in 10.32.0.128/28", result.Message);
        Assert.True(sim.Time.GetUtcNow() - asked <= TimeSpan.FromSeconds(10), $"answered after {sim.Time.GetUtcNow() - asked}");
    }

    [Fact]
    public void Allocate_WhenNoReachablePeerReportsSpace_StillFailsAtOnce()
    {
        var sim = new IpamSim(1, IpamSimParameters.OneCluster(2, 0, 0, 0, consensus: false, Cidr.Parse("10.32.0.0/29"), 0));
        Allocator a = sim.Replicas[0].Allocator!;
        var subnet = Cidr.Parse("10.32.0.0/30");
        Assert.True(a.Allocate("one", subnet).Done().Succeeded);
        Assert.True(a.Allocate("two", subnet).Done().Succeeded);
        AllocationResult full = a.Allocate("three", subnet).Done();
        Assert.Equal(IpamErrorKind.NoSpace, full.Error);
        Assert.Equal("no free addresses in 10.32.0.0/30", full.Message);
    }
}
