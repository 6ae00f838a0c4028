using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// Forwarding over data routes between several forwarders (<see cref="DataPlaneMesh"/>): floods
/// follow each source's broadcast tree, unicast to a peer without a direct link is relayed by
/// sleeve, and under a stable topology nothing loops, nothing is duplicated and nothing is sent
/// back where it came from.
/// </summary>
public sealed class ForwarderRoutingTests
{
    private static ulong MacOf(int node) => 0x0200_0000_1000UL + (ulong)node;

    public static TheoryData<string, int, (int, int)[]> Topologies() => new()
    {
        { "chain of 3", 3, [(0, 1), (1, 2)] },
        { "chain of 5", 5, [(0, 1), (1, 2), (2, 3), (3, 4)] },
        { "star of 5", 5, [(0, 1), (0, 2), (0, 3), (0, 4)] },
        { "full mesh of 4", 4, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] },
        { "ring of 5", 5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)] },
        { "square with a tail", 5, [(0, 1), (1, 3), (0, 2), (2, 3), (3, 4)] },
    };

    [Theory]
    [MemberData(nameof(Topologies))]
    public void Flood_FromEveryPeer_ReachesEveryOtherPeerExactlyOnce(string topology, int count, (int, int)[] links)
    {
        using var mesh = new DataPlaneMesh(count, links);
        for (int source = 0; source < count; source++)
        {
            mesh.Hops.Clear();
            byte[] frame = Frames.Ethernet(Frames.Broadcast, MacOf(source), fill: (byte)source);
            mesh.FromBridge(source, frame);

            List<byte[]>[] written = mesh.TakeWritten();
            for (int node = 0; node < count; node++)
            {
                Assert.True(written[node].Count == (node == source ? 0 : 1), $"{topology}: flood from {source} written {written[node].Count} times at {node}");
                Assert.All(written[node], f => Assert.Equal(frame, f));
            }
            Assert.True(mesh.Hops.Count == count - 1, $"{topology}: flood from {source} took {mesh.Hops.Count} hops");
            Assert.DoesNotContain(mesh.Hops, h => h.To == source);
            Assert.Equal(0, mesh.Lost);
        }
    }

    [Fact]
    public void Flood_InFullMesh_IsVxlanOnly()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (0, 2), (1, 2)]);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, MacOf(0)));
        Assert.Equal([(0, 1, false), (0, 2, false)], mesh.Hops.OrderBy(h => h.To));
    }

    [Fact]
    public void Flood_AlongChain_IsSleeveToTheRelayAndOnToTheEnd()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, MacOf(0)));
        Assert.Equal([(0, 1, true), (1, 2, true)], mesh.Hops);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveFloodsRelayed);
        Assert.Equal(mesh.Nodes[0].Name, mesh.Nodes[2].Forwarder.Macs.Lookup(MacOf(0)));

        mesh.Hops.Clear();
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, MacOf(1)));
        Assert.Equal([(1, 0, false), (1, 2, false)], mesh.Hops.OrderBy(h => h.To)); // the middle's neighbours are leaves
    }

    [Fact]
    public void Unicast_ToPeerBehindRelay_ArrivesOnceThroughTheRelayAndBack()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, MacOf(0))); // everyone learns where MAC 0 lives
        mesh.FromBridge(2, Frames.Ethernet(Frames.Broadcast, MacOf(2)));
        mesh.TakeWritten();
        mesh.Hops.Clear();
        long sleeveSendsBefore = mesh.Nodes[0].Forwarder.Counters.SleeveFramesFromBridge;

        byte[] request = Frames.Ethernet(MacOf(2), MacOf(0), payloadBytes: 1400, fill: 7);
        mesh.FromBridge(0, request);
        Assert.Equal([(0, 1, true), (1, 2, true)], mesh.Hops);
        List<byte[]>[] written = mesh.TakeWritten();
        Assert.Equal([0, 0, 1], written.Select(w => w.Count));
        Assert.Equal(request, written[2][0]);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveRelayed);
        Assert.Equal(sleeveSendsBefore + 1, mesh.Nodes[0].Forwarder.Counters.SleeveFramesFromBridge);

        mesh.Hops.Clear();
        byte[] reply = Frames.Ethernet(MacOf(0), MacOf(2), fill: 8);
        mesh.FromBridge(2, reply);
        Assert.Equal([(2, 1, true), (1, 0, true)], mesh.Hops);
        written = mesh.TakeWritten();
        Assert.Equal([1, 0, 0], written.Select(w => w.Count));
        Assert.Equal(reply, written[0][0]);
    }

    [Fact]
    public void Unicast_ToNeighbour_IsVxlanStraightThere()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, MacOf(1)));
        mesh.TakeWritten();
        mesh.Hops.Clear();
        mesh.FromBridge(0, Frames.Ethernet(MacOf(1), MacOf(0)));
        Assert.Equal([(0, 1, false)], mesh.Hops);
        Assert.Equal([0, 1, 0], mesh.TakeWritten().Select(w => w.Count));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // sealed: the relay opens each datagram and seals it again in place
    public void SuperFrame_ToPeerBehindRelay_TravelsAsSleeveSegmentsAndArrivesIntact(bool sealedLinks)
    {
        const int segments = 20;
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)], sealedLinks: sealedLinks);
        mesh.FromBridge(2, Frames.Ethernet(Frames.Broadcast, MacOf(2)));
        mesh.TakeWritten();
        mesh.Hops.Clear();

        byte[] super = TcpTraffic.SuperFrame(MacOf(2), MacOf(0), segments * TcpTraffic.Mss);
        mesh.FromBridge(0, super, TcpTraffic.Gso());

        // One GSO send to the relay, and the relay passes the GRO run on in one GSO send too.
        Assert.Equal([(0, 1, true), (1, 2, true)], mesh.Hops);
        // ...and arrives as one GRO run, coalesced into one super-frame again.
        Assert.True(mesh.Nodes[2].Tap.TryTakeWrittenWithOffload(TimeSpan.Zero, out var arrived));
        Assert.Equal(0, mesh.Nodes[2].Tap.PendingWritten);
        byte[][] expected = TcpTraffic.Segments(super);
        Assert.All(expected, segment => Assert.True(TcpTraffic.TcpChecksumIsValid(segment)));
        TcpTraffic.AssertCoalesced(expected, arrived.Frame, arrived.Offload);
        Assert.Equal(segments, mesh.Nodes[1].Forwarder.Counters.SleeveRelayed);
    }

    [Fact]
    public void Unicast_ToMacBehindUnreachablePeer_DroppedAsNoRoute()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)]);
        mesh.Nodes[0].Forwarder.Macs.Learn(0x0200_0000_0BAD, new Weave.Gossip.PeerName(0x77), TimeProvider.System.GetTimestamp());
        mesh.FromBridge(0, Frames.Ethernet(0x0200_0000_0BAD, MacOf(0)));
        Assert.Empty(mesh.Hops);
        Assert.Equal(1, mesh.Nodes[0].Forwarder.Counters.DropsNoRoute);
    }

    [Fact]
    public void RoutesLoseAPeer_ItsMacsAreForgotten()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(2, Frames.Ethernet(Frames.Broadcast, MacOf(2)));
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, MacOf(1)));
        Forwarder first = mesh.Nodes[0].Forwarder;
        Assert.Equal(mesh.Nodes[2].Name, first.Macs.Lookup(MacOf(2)));

        // Peer 2 is gone from the topology: its MACs go, the neighbour's stay.
        first.SetRoutes(Weave.Gossip.Routing.RouteTable.Compute(mesh.Nodes[0].Name,
            new Weave.Tests.Gossip.Routing.TopologyBuilder().Chain(0, 1).Build(), establishedAndSymmetric: true));
        Assert.Null(first.Macs.Lookup(MacOf(2)));
        Assert.Equal(mesh.Nodes[1].Name, first.Macs.Lookup(MacOf(1)));
    }

    [Fact]
    public void PeerLeaves_ItsMacsAreForgottenAndFramesForThemFlood()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, MacOf(1)));
        Assert.NotNull(mesh.Nodes[0].Forwarder.Macs.Lookup(MacOf(1)));
        mesh.Nodes[0].Forwarder.RemovePeer(mesh.Nodes[1].Name);
        Assert.Null(mesh.Nodes[0].Forwarder.Macs.Lookup(MacOf(1)));
    }
}
