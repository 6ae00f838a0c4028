using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Routing.TopologyBuilder;

namespace Weave.Tests.Gossip.Routing;

public sealed partial class RouteTableTests
{
    private static RouteTable Data(int self, TopologyBuilder builder) => RouteTable.Compute(Name(self), builder.Build(), establishedAndSymmetric: true);

    private static RouteTable Gossip(int self, TopologyBuilder builder) => RouteTable.Compute(Name(self), builder.Build(), establishedAndSymmetric: false);

    private static int? Hop(RouteTable table, int destination) =>
        table.TryGetNextHop(Name(destination), out PeerName hop) ? (int)(hop.Value - Name(0).Value) : null;

    private static int[] Broadcast(RouteTable table, int source) =>
        [.. table.BroadcastNextHops(Name(source)).Select(n => (int)(n.Value - Name(0).Value))];

    [Fact]
    public void Chain_NextHopsFollowTheChain()
    {
        TopologyBuilder chain = new TopologyBuilder().Chain(1, 2, 3, 4);
        RouteTable one = Data(1, chain), two = Data(2, chain);
        Assert.Equal([2, 2, 2], new[] { Hop(one, 2), Hop(one, 3), Hop(one, 4) });
        Assert.Equal([1, 3, 3], new[] { Hop(two, 1), Hop(two, 3), Hop(two, 4) });
        Assert.Null(Hop(one, 1));
        Assert.Equal([Name(2), Name(3), Name(4)], one.Reachable);
    }

    [Fact]
    public void Chain_BroadcastTravelsAway_FromTheSource()
    {
        TopologyBuilder chain = new TopologyBuilder().Chain(1, 2, 3, 4);
        Assert.Equal([3], Broadcast(Data(2, chain), 1));
        Assert.Equal([1], Broadcast(Data(2, chain), 4));
        Assert.Equal([1, 3], Broadcast(Data(2, chain), 2));
        Assert.Empty(Broadcast(Data(1, chain), 4));
        Assert.Empty(Broadcast(Data(4, chain), 1));
    }

    [Fact]
    public void Star_LeavesGoThroughTheCentre_CentreRelaysToOtherLeaves()
    {
        var star = new TopologyBuilder().Link(1, 2).Link(1, 3).Link(1, 4).Link(1, 5);
        RouteTable leaf = Data(2, star), centre = Data(1, star);
        Assert.All(new[] { 1, 3, 4, 5 }, d => Assert.Equal(1, Hop(leaf, d)));
        Assert.All(new[] { 2, 3, 4, 5 }, d => Assert.Equal(d, Hop(centre, d)));
        Assert.Equal([3, 4, 5], Broadcast(centre, 2));
        Assert.Equal([2, 3, 4, 5], Broadcast(centre, 1));
        Assert.Empty(Broadcast(Data(3, star), 2));
        Assert.Equal([1], Broadcast(leaf, 2));
    }

    [Fact]
    public void Ring_TiesGoToTheLowerNamedBranch()
    {
        TopologyBuilder ring = new TopologyBuilder().Chain(1, 2, 3, 4, 5, 6, 1);
        RouteTable one = Data(1, ring);
        Assert.Equal([2, 2, 2, 6, 6], new[] { Hop(one, 2), Hop(one, 3), Hop(one, 4), Hop(one, 5), Hop(one, 6) });
        // Tree from 1: 1→2, 1→6, 2→3, 6→5, 3→4.
        Assert.Equal([2, 6], Broadcast(one, 1));
        Assert.Equal([3], Broadcast(Data(2, ring), 1));
        Assert.Equal([4], Broadcast(Data(3, ring), 1));
        Assert.Empty(Broadcast(Data(4, ring), 1));
        Assert.Empty(Broadcast(Data(5, ring), 1));
        Assert.Equal([5], Broadcast(Data(6, ring), 1));
    }

    [Fact]
    public void FullMesh_EveryoneIsOneHop_SourceSendsToAll()
    {
        var mesh = new TopologyBuilder();
        for (int a = 1; a <= 4; a++)
        {
            for (int b = a + 1; b <= 4; b++)
            {
                mesh.Link(a, b);
            }
        }
        RouteTable one = Data(1, mesh);
        Assert.Equal([2, 3, 4], new[] { Hop(one, 2), Hop(one, 3), Hop(one, 4) });
        Assert.Equal([2, 3, 4], Broadcast(one, 1));
        Assert.All(new[] { 2, 3, 4 }, s => Assert.Empty(Broadcast(one, s)));
    }

    [Fact]
    public void AsymmetricLink_NoDataRoute_GossipRouteOneWay()
    {
        TopologyBuilder topology = new TopologyBuilder().OneWay(1, 2).Peer(2);
        Assert.Null(Hop(Data(1, topology), 2));
        Assert.Null(Hop(Data(2, topology), 1));
        Assert.Equal(2, Hop(Gossip(1, topology), 2));
        Assert.Null(Hop(Gossip(2, topology), 1));
        Assert.Equal([2], Broadcast(Gossip(1, topology), 1));
        Assert.Empty(Broadcast(Gossip(2, topology), 2));
    }

    [Fact]
    public void UnestablishedLink_NoDataRoute_GossipRouteBothWays()
    {
        TopologyBuilder topology = new TopologyBuilder().Link(1, 2).Link(2, 3, established: false);
        Assert.Null(Hop(Data(1, topology), 3));
        Assert.Equal([Name(2)], Data(1, topology).Reachable);
        Assert.Equal(2, Hop(Gossip(1, topology), 3));
        Assert.Equal(2, Hop(Gossip(3, topology), 1));
    }

    [Fact]
    public void HalfEstablishedLink_NoDataRoute()
    {
        TopologyBuilder topology = new TopologyBuilder().OneWay(1, 2, established: true).OneWay(2, 1, established: false);
        Assert.Null(Hop(Data(1, topology), 2));
        Assert.Equal(2, Hop(Gossip(1, topology), 2));
    }

    [Fact]
    public void PeerWithoutRecord_IsAGossipDestinationOnly()
    {
        TopologyBuilder topology = new TopologyBuilder().OneWay(1, 9);
        Assert.Equal(9, Hop(Gossip(1, topology), 9));
        Assert.Null(Hop(Data(1, topology), 9));
        Assert.Empty(Broadcast(Gossip(1, topology), 9));
    }

    [Fact]
    public void UnknownSourceOrSelfWithoutRecord_NoRoutes()
    {
        TopologyBuilder chain = new TopologyBuilder().Chain(1, 2);
        Assert.Empty(Broadcast(Data(1, chain), 7));
        RouteTable stranger = Data(7, chain);
        Assert.Empty(stranger.Reachable);
        Assert.Null(Hop(stranger, 1));
        Assert.Empty(Broadcast(stranger, 1));
        Assert.Empty(Broadcast(stranger, 7));
    }

    [Fact]
    public void BroadcastNextHops_RepeatedQuery_ReturnsTheCachedList()
    {
        RouteTable table = Data(2, new TopologyBuilder().Chain(1, 2, 3));
        Assert.Same(table.BroadcastNextHops(Name(1)), table.BroadcastNextHops(Name(1)));
    }

    [Fact]
    public void SameAs_SameLinksNewerVersions_True_ChangedLinkOrSelf_False()
    {
        TopologyBuilder chain = new TopologyBuilder().Chain(1, 2, 3);
        RouteTable before = RouteTable.Compute(Name(1), chain.Build(version: 1), true);
        Assert.True(before.SameAs(RouteTable.Compute(Name(1), chain.Build(version: 5), true)));
        Assert.True(before.SameAs(RouteTable.Compute(Name(1), chain.Link(3, 4, established: false).Build(), true)));
        Assert.False(before.SameAs(RouteTable.Compute(Name(1), chain.Link(3, 4).Build(), true)));
        Assert.False(before.SameAs(RouteTable.Compute(Name(2), chain.Build(), true)));
        Assert.False(before.SameAs(RouteTable.Compute(Name(1), new TopologyBuilder().Chain(1, 2, 3).Build(), false)));
    }
}
