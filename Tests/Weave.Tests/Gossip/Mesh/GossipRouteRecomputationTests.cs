using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Xunit;

namespace Weave.Tests.Gossip.Mesh;

/// <summary>
/// Gossip routes depend on who lists whom, so a record that changes only its links' states (a
/// connection becoming established, a data path's health flapping) must not rebuild them, and one
/// that adds or drops a link must; relays held back together rebuild them once, when they go.
/// </summary>
public sealed class GossipRouteRecomputationTests
{
    private const int Neighbours = 6; // more than the flood degree, so relays follow routes

    [Fact]
    public void StateOnlyChange_KeepsRoutes_LinkChange_RebuildsThem()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1, FakeMesh.Options with { RelayDelay = TimeSpan.Zero });
        List<FakeConnection> connections = [.. FakeMesh.LinkNeighbours(node, 2, 1 + Neighbours).Values];
        FakeConnection from = connections[0];

        FakeMesh.DeliverRecord(node, from, Record(version: 1, (1, true), (3, false)));
        int afterFirst = node.GossipRouteComputations;
        Assert.True(afterFirst > 0);
        Assert.True(Relayed(connections), "a new record is relayed");

        FakeMesh.DeliverRecord(node, from, Record(version: 2, (1, true), (3, true)));
        Assert.Equal(afterFirst, node.GossipRouteComputations);
        Assert.True(Relayed(connections), "a state change is still relayed");

        FakeMesh.DeliverRecord(node, from, Record(version: 3, (1, true), (3, true), (4, true)));
        Assert.Equal(afterFirst + 1, node.GossipRouteComputations);

        FakeMesh.DeliverRecord(node, from, Record(version: 4, (1, true), (4, true)));
        Assert.Equal(afterFirst + 2, node.GossipRouteComputations);
    }

    [Fact]
    public void RelaysHeldTogether_ComputeRoutesOnce_WhenTheyGo()
    {
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options with { RelayDelay = TimeSpan.FromMilliseconds(50) };
        MeshNode node = mesh.Add(1, options);
        List<FakeConnection> connections = [.. FakeMesh.LinkNeighbours(node, 2, 1 + Neighbours).Values];
        int before = node.GossipRouteComputations;

        for (ulong version = 1; version <= 5; version++)
        {
            // Each version links to someone new: the links change with every update.
            FakeMesh.DeliverRecord(node, connections[0], Record(version, (1, true), (10 + (int)version, true)));
        }
        node.Tick();
        Assert.Equal(before, node.GossipRouteComputations);
        Assert.False(Relayed(connections), "nothing is relayed before the delay");

        mesh.Time.Advance(options.RelayDelay);
        node.Tick();
        Assert.Equal(before + 1, node.GossipRouteComputations);
        Assert.True(Relayed(connections), "the newest version is relayed");
    }

    [Fact]
    public void SameRemotes_ComparesRemotesInOrder_NotStatesOrAddresses()
    {
        PeerRecord a = Record(1, (1, true), (3, false));
        Assert.True(a.SameRemotes(Record(7, (1, false), (3, true))));
        Assert.False(a.SameRemotes(Record(1, (1, true))));
        Assert.False(a.SameRemotes(Record(1, (3, false), (1, true))));
        Assert.False(a.SameRemotes(Record(1, (1, true), (4, false))));
    }

    [Fact]
    public void LinksGeneration_MovesWithRecordsAddedRemovedOrRelinked_NotWithStates()
    {
        var topology = new PeerTopology();
        topology.Merge([Record(1, (1, false))]);
        long added = topology.LinksGeneration;
        Assert.True(added > 0);
        topology.Merge([Record(2, (1, true))]);
        Assert.Equal(added, topology.LinksGeneration);
        topology.Merge([Record(3, (1, true), (3, true))]);
        Assert.Equal(added + 1, topology.LinksGeneration);
        Assert.True(topology.Remove(new PeerName(2)));
        Assert.Equal(added + 2, topology.LinksGeneration);
        Assert.False(topology.Remove(new PeerName(2)));
        Assert.Equal(added + 2, topology.LinksGeneration);
    }

    private static PeerRecord Record(ulong version, params (int Remote, bool Established)[] links) =>
        new(new PeerName(2), "n2", 1002, version,
            [.. links.Select(l => new ConnectionSummary(new PeerName((ulong)l.Remote), $"10.0.0.{l.Remote}:6783", Outbound: true, l.Established))]);

    /// <summary>Whether any neighbour but the sender got a topology update since the last call; clears what was sent.</summary>
    private static bool Relayed(List<FakeConnection> connections)
    {
        bool relayed = connections.Skip(1).Any(c => c.Sent.Any(m => m.Tag == (byte)FrameTag.TopologyUpdate));
        foreach (FakeConnection connection in connections)
        {
            connection.Sent.Clear();
        }
        return relayed;
    }
}
