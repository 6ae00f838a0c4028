using System.Net;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Tests.Ipam.Simulation;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class AllocatorAdminTests
{
    private static IpamSim Seeded(int replicas) =>
        new(1, IpamSimParameters.OneCluster(replicas, 0, 0, 0, consensus: false, Cidr.Parse("10.32.0.0/24"), 0));

    private static void Flush(IpamSim sim)
    {
        while (sim.InFlight > 0)
        {
            sim.DeliverOne(faults: false);
        }
    }

    [Fact]
    public void RemovePeer_OfAReachablePeer_IsRefused()
    {
        IpamSim sim = Seeded(3);
        RemovePeerResult result = sim.Replicas[0].Allocator!.RemovePeer("host1").Done();
        Assert.Equal(IpamErrorKind.Conflict, result.Error);
        Assert.Contains("reachable", result.Message, StringComparison.Ordinal);
        Assert.Equal(IpamErrorKind.Invalid, sim.Replicas[0].Allocator!.RemovePeer(sim.Replicas[0].Name.ToString()).Done().Error);
        Assert.Equal(IpamErrorKind.NotFound, sim.Replicas[0].Allocator!.RemovePeer("nobody").Done().Error);
    }

    [Fact]
    public void RemovePeer_RunTwiceOnTwoHostsAtOnce_MakesOneIdenticalChange()
    {
        IpamSim sim = Seeded(4);
        SimReplica dead = sim.Replicas[2];
        dead.Crash();
        dead.Gone = true;
        sim.PeersChanged();
        Assert.False(sim.Replicas[0].Allocator!.Status().Peers.Single(p => p.Name == dead.Name).Reachable);
        RemovePeerResult a = sim.Replicas[0].Allocator!.RemovePeer("host2").Done();
        RemovePeerResult b = sim.Replicas[3].Allocator!.RemovePeer(dead.Name.ToString()).Done();
        Assert.Equal($"64 IPs taken over from {dead.Name}(host2)", a.Message);
        Assert.Equal(64, b.Addresses);
        Assert.Equal(sim.Replicas[0].Allocator!.Ring, sim.Replicas[3].Allocator!.Ring);
        Flush(sim);
        Assert.Equal(0, sim.RefusedRings);
        Assert.Equal(0, sim.Replicas[1].Allocator!.RemovePeer("host2").Done().Addresses);
        Ring ring = sim.Replicas[1].Allocator!.Ring;
        Assert.DoesNotContain(ring.Entries.ToArray(), e => e.Owner == dead.Name);
        sim.CheckSafety();
    }

    [Fact]
    public void Status_WhenEveryOtherOwnerIsUnreachableAndWeAreFull_SaysUseRmpeer()
    {
        // Four owners of a /29, two addresses each: the owner of .2-.3 can fill its share (one
        // holding the range's network or broadcast address never can, as no pod may have those).
        IpamSim sim = new(1, IpamSimParameters.OneCluster(4, 0, 0, 0, false, Cidr.Parse("10.32.0.0/29"), 0));
        uint start = sim.Replicas[0].Allocator!.Ring.Range.Start;
        PeerName? middle = sim.Replicas[0].Allocator!.Ring.OwnerOf(start + 2);
        SimReplica me = sim.Replicas.Single(r => r.Name == middle);
        Allocator mine = me.Allocator!;
        Assert.Equal("ready", mine.Status().State);
        foreach (SimReplica other in sim.Replicas.Where(r => r != me))
        {
            other.Crash();
        }
        sim.PeersChanged();
        for (uint i = 2; i < 4; i++)
        {
            Assert.True(mine.Claim($"c{i}", Ip4.ToAddress(start + i), 29).Done().Succeeded);
        }
        sim.Advance(TimeSpan.FromSeconds(5));
        IpamStatus status = mine.Status();
        Assert.Equal("all ranges owned by unreachable peers: use 'weave rmpeer'", status.State);
        Assert.All(status.Peers.Where(p => !p.IsSelf), p => Assert.False(p.Reachable));
        Assert.Equal(25.0, status.Peers.Single(p => p.IsSelf).Percent);
    }

    [Fact]
    public void Claim_OfAnotherPeersAddress_AsksThatOwner()
    {
        IpamSim sim = Seeded(2);
        Allocator a = sim.Replicas[0].Allocator!, b = sim.Replicas[1].Allocator!;
        Task<AllocationResult> claim = a.Claim("restored", IPAddress.Parse("10.32.0.200"), 24);
        Assert.False(claim.IsCompleted);
        Flush(sim);
        Assert.Equal("10.32.0.200/24", claim.Done().ToString());
        Assert.Equal(sim.Replicas[0].Name, b.Ring.OwnerOf(Ip4.ToUInt(IPAddress.Parse("10.32.0.200"))));
        Assert.True(b.Claim("busy", IPAddress.Parse("10.32.0.201"), 24).Done().Succeeded);
        Task<AllocationResult> refused = a.Claim("other", IPAddress.Parse("10.32.0.201"), 24);
        Flush(sim);
        Assert.Equal(IpamErrorKind.Conflict, refused.Done().Error);
        Assert.Contains("in use", refused.Done().Message, StringComparison.Ordinal);
        sim.CheckSafety();
    }

    [Fact]
    public void MalformedMessages_AreRejectedWithAReason_AndChangeNothing()
    {
        var host = new IpamTestHost();
        Ring before = host.Allocator.Ring;
        host.Allocator.OnUnicast(IpamTestHost.Me, new byte[] { 4, 0x92, 1 });
        Assert.Null(host.Allocator.OnGossip(new byte[] { 1, 0xFF }));
        Assert.Null(host.Allocator.OnBroadcast(IpamTestHost.Me, new byte[] { 99, 0 }));
        Assert.Equal(3, host.Allocator.RejectedMessages);
        Assert.Equal(3, host.Logs.Count(l => l.EventId == 3010));
        Assert.Same(before, host.Allocator.Ring);
    }

    [Fact]
    public void HandOff_GivesEverythingToAReachablePeer()
    {
        IpamSim sim = Seeded(3);
        Allocator leaving = sim.Replicas[1].Allocator!;
        Assert.True(leaving.Allocate("pod").Done().Succeeded);
        RemovePeerResult result = leaving.HandOff().Done();
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(IpamErrorKind.NotReady, leaving.Allocate("pod2").Done().Error);
        Flush(sim);
        Assert.DoesNotContain(sim.Replicas[0].Allocator!.Ring.Entries.ToArray(), e => e.Owner == sim.Replicas[1].Name);
        sim.Replicas[1].Crash();
        sim.Replicas[1].Gone = true;
        sim.CheckSafety();
    }

    [Fact]
    public void HandOff_StateNotSaved_ChangesNothing()
    {
        IpamSim sim = Seeded(3);
        SimReplica leaving = sim.Replicas[1];
        AllocationResult pod = leaving.Allocator!.Allocate("pod").Done();
        leaving.Store.FailSaves = true;

        RemovePeerResult result = leaving.Allocator.HandOff().Done();

        Assert.Equal(IpamErrorKind.StoreFailed, result.Error);
        IpamAllocation kept = Assert.Single(leaving.Allocator.Lookup("pod"));
        Assert.Equal(pod.Address, kept.Address);
        leaving.Allocator.CheckInvariants();
        leaving.Store.FailSaves = false;
        Assert.Equal(pod.Address, leaving.Allocator.Allocate("pod").Done().Address);
    }
}
