using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Xunit;

namespace Weave.Tests.Gossip.Mesh;

/// <summary>
/// What keeps forming a full mesh from costing O(N²) bytes per peer per second: records are not
/// relayed to peers their owner sent them to, relays wait a moment and go together, and a peer
/// with many links announces its own record less often.
/// </summary>
public sealed class FormationCostTests
{
    [Fact]
    public void Relay_SkipsThePeersTheRecordLists_TheOwnerSentItToThem()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1, FakeMesh.Options with { RelayDelay = TimeSpan.Zero });
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(node, 2, 7);

        FakeMesh.DeliverRecord(node, links[2], Record(owner: 2, version: 1, links: [1, 3, 4]));

        Assert.Empty(Updates(links[3]));
        Assert.Empty(Updates(links[4]));
        foreach (int unlisted in new[] { 5, 6, 7 })
        {
            PeerRecord relayed = Assert.Single(Assert.Single(Updates(links[unlisted])));
            Assert.Equal(new PeerName(2), relayed.Name);
        }
    }

    [Fact]
    public void Relays_WithinTheDelay_GoAsOneUpdate_CarryingTheNewestVersion()
    {
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options with { RelayDelay = TimeSpan.FromMilliseconds(50) };
        MeshNode node = mesh.Add(1, options);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(node, 2, 7);

        FakeMesh.DeliverRecord(node, links[2], Record(owner: 2, version: 1, links: [1]));
        FakeMesh.DeliverRecord(node, links[2], Record(owner: 2, version: 2, links: [1]));
        node.Tick();
        Assert.All(links.Values, link => Assert.Empty(Updates(link)));

        mesh.Time.Advance(options.RelayDelay);
        node.Tick();
        int relayedTo = 0;
        foreach (FakeConnection link in links.Values)
        {
            List<IReadOnlyList<PeerRecord>> updates = Updates(link);
            if (updates.Count > 0)
            {
                PeerRecord record = Assert.Single(Assert.Single(updates));
                Assert.Equal(2UL, record.Version);
                relayedTo++;
            }
        }
        Assert.True(relayedTo >= 1, "the record was relayed");
    }

    [Fact]
    public void ExtraRelays_OfARecordListingManyPeers_ComeFromOnlySomeOfThem()
    {
        // Node 50 is linked to 2..21 and 30. Peer 2 lists 3..21 and 50 (not 30); 3..21 list each
        // other, 50 and 30. In peer 2's broadcast tree, 3 (before 50 in name order) claims 30, so
        // anything 50 sends 30 of peer 2's record is a random extra relay.
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options with { RelayDelay = TimeSpan.FromMilliseconds(50) };
        MeshNode node = mesh.Add(50, options);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(node, 2, 21);
        links[30] = FakeMesh.LinkNeighbours(node, 30, 30)[30];
        int[] clique = [.. Enumerable.Range(2, 20), 50];
        for (int peer = 3; peer <= 21; peer++)
        {
            FakeMesh.DeliverRecord(node, links[peer], Record(peer, 1, [.. clique.Where(p => p != peer), 30]));
        }
        FakeMesh.DeliverRecord(node, links[30], Record(30, 1, [.. Enumerable.Range(3, 19), 50]));
        mesh.Time.Advance(options.RelayDelay);
        node.Tick();
        Updates(links[30]);

        const int Versions = 200;
        int extras = 0;
        for (ulong version = 1; version <= Versions; version++)
        {
            FakeMesh.DeliverRecord(node, links[2], Record(2, version, [.. clique.Where(p => p != 2)]));
            mesh.Time.Advance(options.RelayDelay);
            node.Tick();
            extras += Updates(links[30]).SelectMany(records => records).Count(r => r.Name == new PeerName(2));
        }

        // Flood degree 5 (log2 of 23 peers) out of 20 listed peers: about a quarter of the
        // versions; every one of them before.
        Assert.InRange(extras, Versions / 8, Versions / 2);
    }

    [Fact]
    public void OwnRecord_WithManyLinks_IsAnnouncedAtMostOncePerUpdateDelayPerTenLinks()
    {
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options;
        MeshNode node = mesh.Add(1, options);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(node, 2, 31); // 30 links: announcements 300 ms apart
        mesh.Time.Advance(options.UpdateDelay);
        node.Tick();
        Assert.Single(OwnAnnouncements(links[2]));

        mesh.Time.Advance(TimeSpan.FromMilliseconds(50));
        FakeMesh.LinkNeighbours(node, 40, 40);
        mesh.Time.Advance(options.UpdateDelay);
        node.Tick();
        Assert.Empty(OwnAnnouncements(links[2]));

        mesh.Time.Advance(TimeSpan.FromMilliseconds(150)); // 300 ms after the first announcement
        node.Tick();
        PeerRecord announced = Assert.Single(OwnAnnouncements(links[2]));
        Assert.Equal(31, announced.Connections.Count);
    }

    [Fact]
    public void OwnRecord_WithFewLinks_IsAnnouncedAfterTheUpdateDelay()
    {
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options;
        MeshNode node = mesh.Add(1, options);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(node, 2, 4);
        mesh.Time.Advance(options.UpdateDelay);
        node.Tick();
        Assert.Single(OwnAnnouncements(links[2]));

        FakeMesh.LinkNeighbours(node, 5, 5);
        mesh.Time.Advance(options.UpdateDelay);
        node.Tick();
        Assert.Single(OwnAnnouncements(links[2]));
    }

    [Fact]
    public void Discovery_TheLowerNameDialsFirst_TheOtherOnlyIfNoLinkCameWithinARetryDelay()
    {
        var mesh = new FakeMesh();
        MeshOptions options = FakeMesh.Options with { Discovery = true };
        MeshNode a = mesh.Add(1, options), b = mesh.Add(2, options), c = mesh.Add(3, options);
        mesh.Connect(b, a);
        mesh.Connect(c, b);
        mesh.Pump(TimeSpan.FromSeconds(1));
        Assert.Contains(mesh.Transports[0].Dials, d => d.Host == "10.0.0.3");
        Assert.DoesNotContain(mesh.Transports[2].Dials, d => d.Host == "10.0.0.1");

        // The fake transport never connects what a dialled: c, still unlinked, dials after all.
        mesh.Pump(options.InitialRetryDelay);
        Assert.Contains(mesh.Transports[2].Dials, d => d.Host == "10.0.0.1");
    }

    private static PeerRecord Record(int owner, ulong version, int[] links) =>
        new(new PeerName((ulong)owner), $"n{owner}", (ulong)(1000 + owner), version,
            [.. links.Select(l => new ConnectionSummary(new PeerName((ulong)l), $"10.0.0.{l}:6783", Outbound: true, Established: true))]);

    /// <summary>The topology updates sent on a link since the last call, decoded; everything sent is taken.</summary>
    private static List<IReadOnlyList<PeerRecord>> Updates(FakeConnection link)
    {
        var updates = new List<IReadOnlyList<PeerRecord>>();
        while (link.Sent.TryDequeue(out var message))
        {
            if (message.Tag == (byte)FrameTag.TopologyUpdate)
            {
                Assert.True(TopologyCodec.TryDecodeRecords(message.Body, out IReadOnlyList<PeerRecord>? records, out string error), error);
                updates.Add(records);
            }
        }
        return updates;
    }

    private static List<PeerRecord> OwnAnnouncements(FakeConnection link) =>
        [.. Updates(link).SelectMany(records => records).Where(r => r.Name == new PeerName(1))];
}
