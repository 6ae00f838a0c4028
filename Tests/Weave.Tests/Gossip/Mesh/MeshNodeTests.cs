using Weave.Gossip;
using Weave.Gossip.Channels;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Xunit;

namespace Weave.Tests.Gossip.Mesh;

public sealed class MeshNodeTests
{
    [Fact]
    public void OnConnected_ToOurself_RefusedAndNeverRedialled()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        node.Start([new PeerAddress("10.0.0.1", 6783)]);
        node.Tick();
        Assert.Single(mesh.Transports[0].Dials);

        var self = new FakeConnection(node.Self, outbound: true, "10.0.0.1:6783", 7);
        Assert.False(node.OnConnected(self));
        Assert.Equal("cannot connect to ourself", self.ClosedReason);

        mesh.Time.Advance(TimeSpan.FromHours(1));
        node.Tick();
        Assert.Single(mesh.Transports[0].Dials);
        Assert.Contains(node.Status().Connections, c => c.State == ConnectionStates.Failed && c.Info.Contains("ourself", StringComparison.Ordinal));
    }

    [Fact]
    public void OnConnected_SameNameOtherUid_RefusedAsCollision()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var impostor = new FakeConnection(node.Self with { Uid = 999 }, outbound: false, "10.0.0.9:40000", 7);
        Assert.False(node.OnConnected(impostor));
        Assert.StartsWith("peer name collision", impostor.ClosedReason, StringComparison.Ordinal);
        Assert.Equal(0, node.ConnectionCount);
    }

    [Theory]
    [InlineData(3UL, 5UL)]
    [InlineData(5UL, 3UL)]
    public void OnConnected_TwoConnectionsToOnePeer_LowerUidKeptWhicheverCameFirst(ulong first, ulong second)
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var b = new PeerIdentity(new PeerName(2), "n2", 1002);
        var c1 = new FakeConnection(b, outbound: true, "10.0.0.2:6783", first);
        var c2 = new FakeConnection(b, outbound: false, "10.0.0.2:40000", second);
        Assert.True(node.OnConnected(c1));
        bool secondAccepted = node.OnConnected(c2);

        FakeConnection kept = first < second ? c1 : c2;
        FakeConnection dropped = first < second ? c2 : c1;
        Assert.Equal(second < first, secondAccepted);
        Assert.Null(kept.ClosedReason);
        Assert.Equal("duplicate connection", dropped.ClosedReason);
        Assert.Equal(1, node.ConnectionCount);
    }

    [Fact]
    public void OnConnected_PeerWithNewUid_OldConnectionStillHeard_RefusedWithoutPassword()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var old = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 1), outbound: false, "10.0.0.2:40000", 1);
        var claimant = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), outbound: false, "10.0.0.66:40001", 9);
        Assert.True(node.OnConnected(old));
        old.SilentSince = mesh.Time.GetUtcNow();
        mesh.Time.Advance(TimeSpan.FromSeconds(9));

        Assert.False(node.OnConnected(claimant));
        Assert.Null(old.ClosedReason);
        Assert.Contains("connection is live", claimant.ClosedReason, StringComparison.Ordinal);
        Assert.Equal(1, node.ConnectionCount);
    }

    [Fact]
    public void OnConnected_PeerWithNewUid_OldConnectionSilent_SupersedesIt()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var old = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 1), outbound: false, "10.0.0.2:40000", 1);
        var restarted = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), outbound: false, "10.0.0.2:40001", 9);
        Assert.True(node.OnConnected(old));
        old.SilentSince = mesh.Time.GetUtcNow();
        mesh.Time.Advance(FakeMesh.Options.SupersedeAfterSilence);

        Assert.True(node.OnConnected(restarted));
        Assert.StartsWith("superseded", old.ClosedReason, StringComparison.Ordinal);
        Assert.Equal(1, node.ConnectionCount);
    }

    [Fact]
    public void OnConnected_PeerWithNewUid_Authenticated_SupersedesALiveConnection()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var old = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 1), outbound: false, "10.0.0.2:40000", 1) { Authenticated = true };
        var restarted = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), outbound: false, "10.0.0.2:40001", 9) { Authenticated = true };
        Assert.True(node.OnConnected(old));

        Assert.True(node.OnConnected(restarted));
        Assert.StartsWith("superseded", old.ClosedReason, StringComparison.Ordinal);
    }

    [Fact]
    public void OnConnected_AtTheLimit_PeerReachableOtherwise_Refused()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, FakeMesh.Options with { ConnectionLimit = 1 }), b = mesh.Add(2), c = mesh.Add(3);
        mesh.Connect(b, c);
        mesh.Connect(a, b);
        mesh.Pump();
        Assert.True(a.Topology.TryGet(c.Self.Name, out _));

        var fromC = new FakeConnection(c.Self, outbound: false, "10.0.0.3:40000", 99);
        Assert.False(a.OnConnected(fromC));
        Assert.Equal("connection limit 1 reached", fromC.ClosedReason);
    }

    [Fact]
    public void OnConnected_AtTheLimit_UnreachablePeer_RefusedAsWell()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1, FakeMesh.Options with { ConnectionLimit = 1 });
        Assert.True(node.OnConnected(new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), false, "10.0.0.2:1", 1)));
        var newcomer = new FakeConnection(new PeerIdentity(new PeerName(3), "n3", 3), false, "10.0.0.3:1", 2);
        Assert.False(node.OnConnected(newcomer));
        Assert.Equal("connection limit 1 reached", newcomer.ClosedReason);
        Assert.Equal(1, node.ConnectionCount);
    }

    [Fact]
    public void Start_LimitOne_TwoTargets_DialsOneAtATime()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1, FakeMesh.Options with { ConnectionLimit = 1 });
        node.Start([new PeerAddress("10.0.0.2", 6783), new PeerAddress("10.0.0.3", 6783)]);
        node.Tick();
        PeerAddress dialled = Assert.Single(mesh.Transports[0].Dials);

        var connection = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), true, dialled.ToString(), 1);
        Assert.True(node.OnConnected(connection));
        mesh.Time.Advance(TimeSpan.FromMinutes(1));
        node.Tick();
        Assert.Single(mesh.Transports[0].Dials);
        Assert.Contains(node.Status().Connections, r => r.Info.Contains("connection limit 1 reached", StringComparison.Ordinal));
    }

    [Fact]
    public void BackedUpLink_RecordsCoalesced_OneUpdateWithTheLatestOnceItDrains()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var slow = new FakeConnection(new PeerIdentity(new PeerName(2), "n2", 2), false, "10.0.0.2:1", 1);
        Assert.True(node.OnConnected(slow));
        mesh.Time.Advance(TimeSpan.FromSeconds(1));
        node.Tick();
        slow.Sent.Clear();
        slow.SendBacklogBytes = FakeMesh.Options.SendBacklogLimitBytes;

        for (int i = 3; i < 23; i++)
        {
            // Every connection re-versions our record, which went to every link each time.
            Assert.True(node.OnConnected(new FakeConnection(new PeerIdentity(new PeerName((ulong)i), $"n{i}", (ulong)i), false, $"10.0.0.{i}:1", (ulong)i)));
            mesh.Time.Advance(TimeSpan.FromMilliseconds(300));
            node.Tick();
        }
        Assert.DoesNotContain(slow.Sent, m => m.Tag == (byte)FrameTag.TopologyUpdate);

        slow.SendBacklogBytes = 0;
        node.OnSendDrained(slow);
        var updates = slow.Sent.Where(m => m.Tag == (byte)FrameTag.TopologyUpdate).ToList();
        (byte _, byte[] body) = Assert.Single(updates);
        Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error), error);
        PeerRecord ours = Assert.Single(records, r => r.Name == node.Self.Name);
        Assert.True(node.Topology.TryGet(node.Self.Name, out PeerRecord? current));
        Assert.Equal(current.Version, ours.Version);
        Assert.Equal(21, ours.Connections.Count);
    }

    [Fact]
    public void Chain_OfThree_EveryoneLearnsEveryRecord()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2), c = mesh.Add(3);
        Assert.True(mesh.Connect(a, b));
        Assert.True(mesh.Connect(b, c));
        mesh.Pump();

        foreach (MeshNode node in mesh.Nodes)
        {
            Assert.Equal(3, node.Topology.Count);
            foreach (MeshNode other in mesh.Nodes)
            {
                Assert.True(node.Topology.TryGet(other.Self.Name, out PeerRecord? record));
                Assert.True(other.Topology.TryGet(other.Self.Name, out PeerRecord? own));
                Assert.Equal(own, record);
            }
        }
        Assert.True(a.DataRoutes.TryGetNextHop(c.Self.Name, out PeerName hop));
        Assert.Equal(b.Self.Name, hop);
    }

    [Fact]
    public void ClosedLink_PeerBeyondIt_IsRemovedAfterTheGracePeriod()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2), c = mesh.Add(3);
        mesh.Connect(a, b);
        mesh.Connect(b, c);
        mesh.Pump();
        var removed = new List<PeerName>();
        a.PeersRemoved += records => removed.AddRange(records.Select(r => r.Name));

        Assert.Equal(0, b.Status().ConnectionTerminations);

        mesh.Connections.Single(x => x.Node == b && x.Connection.Remote.Name == c.Self.Name).Connection.Close("test");
        mesh.Pump(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, b.Status().ConnectionTerminations); // counted on both ends
        Assert.Equal(1, c.Status().ConnectionTerminations);
        Assert.Equal(0, a.Status().ConnectionTerminations);
        Assert.Empty(removed);
        Assert.True(a.Topology.TryGet(c.Self.Name, out _), "removed before the grace period");

        mesh.Pump(TimeSpan.FromSeconds(1));
        Assert.Equal([c.Self.Name], removed);
        Assert.False(a.Topology.TryGet(c.Self.Name, out _));
    }

    [Fact]
    public void RestartedPeer_ItsVersionJumpsPastItsOldRecord()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2);
        mesh.Connect(a, b);
        mesh.Pump();
        for (int i = 0; i < 5; i++)
        {
            // Churn b's record to a high version.
            MeshNode x = mesh.Add(10 + i);
            mesh.Connect(x, b);
            mesh.Pump();
        }
        Assert.True(a.Topology.TryGet(b.Self.Name, out PeerRecord? old));

        // b is gone: a hears nothing more on its connection to it.
        mesh.Connections.Single(c => c.Node == a && c.Connection.Remote.Name == b.Self.Name).Connection.SilentSince = mesh.Time.GetUtcNow();
        mesh.Time.Advance(FakeMesh.Options.SupersedeAfterSilence);
        MeshNode restarted = mesh.Add(2, uid: 77);
        mesh.Connect(restarted, a);
        mesh.Pump(TimeSpan.FromSeconds(2));

        Assert.True(a.Topology.TryGet(b.Self.Name, out PeerRecord? current));
        Assert.Equal(77UL, current.Uid);
        Assert.True(current.Version > old.Version);
    }

    [Fact]
    public void FailedDial_RetriedWithBackoff_AndShownAsFailed()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var target = new PeerAddress("10.0.0.2", 6783);
        node.Start([target]);
        node.Tick();
        Assert.Single(mesh.Transports[0].Dials);

        node.OnDialFailed(target, "connection refused");
        TimeSpan wait = node.NextDeadline - mesh.Time.GetUtcNow();
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        ConnectionRow row = Assert.Single(node.Status().Connections);
        Assert.Equal(ConnectionStates.Failed, row.State);
        Assert.StartsWith("connection refused, retry: ", row.Info, StringComparison.Ordinal);

        mesh.Time.Advance(wait);
        node.Tick();
        Assert.Equal(2, mesh.Transports[0].Dials.Count);
        Assert.Equal(ConnectionStates.Retrying, Assert.Single(node.Status().Connections).State);
    }

    [Fact]
    public void Forget_StopsDiallingAndListing()
    {
        var mesh = new FakeMesh();
        MeshNode node = mesh.Add(1);
        var target = new PeerAddress("10.0.0.2", 6783);
        node.Start([target]);
        node.Tick();
        node.OnDialFailed(target, "connection refused");
        Assert.Equal(["10.0.0.2:6783"], node.Status().Targets);

        node.Forget([target]);
        mesh.Time.Advance(TimeSpan.FromMinutes(10));
        node.Tick();
        Assert.Empty(node.Status().Targets);
        Assert.Empty(node.Status().Connections);
        Assert.Single(mesh.Transports[0].Dials);
    }

    [Fact]
    public void Discovery_DialsPeersLearnedFromOthers()
    {
        var mesh = new FakeMesh();
        var options = FakeMesh.Options with { Discovery = true };
        MeshNode a = mesh.Add(1, options), b = mesh.Add(2, options), c = mesh.Add(3, options);
        mesh.Connect(b, a);
        mesh.Connect(c, b);
        mesh.Pump();


        Assert.Contains(mesh.Transports[0].Dials, d => d.Host == "10.0.0.3" && d.Port == 6783);
    }

    [Fact]
    public void BroadcastChannel_ReachesEveryPeerOnce_AlongTheChain()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2), c = mesh.Add(3);
        mesh.Connect(a, b);
        mesh.Connect(b, c);
        mesh.Pump();
        var gossipers = mesh.Nodes.Select(_ => new CountingGossiper()).ToArray();
        IGossipChannel[] channels = [.. mesh.Nodes.Select((n, i) => n.RegisterChannel("test", gossipers[i]))];

        channels[0].Broadcast([1, 2, 3]);
        channels[0].Unicast(c.Self.Name, [9]);
        mesh.Pump();

        Assert.Equal(0, gossipers[0].Broadcasts);
        Assert.Equal(1, gossipers[1].Broadcasts);
        Assert.Equal(1, gossipers[2].Broadcasts);
        Assert.Equal([9], Assert.Single(gossipers[2].Unicasts));
        Assert.Empty(gossipers[1].Unicasts);
    }

    [Fact]
    public void OnMessage_GarbageTopologyUpdate_DropsTheConnection()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2);
        mesh.Connect(a, b);
        FakeConnection atA = mesh.Connections.Single(x => x.Node == a).Connection;

        a.OnMessage(atA, (byte)FrameTag.TopologyUpdate, new byte[] { 0xc1, 0xff, 0x00 });

        Assert.StartsWith("invalid topology update", atA.ClosedReason, StringComparison.Ordinal);
        Assert.Equal(0, a.ConnectionCount);
    }

    private sealed class CountingGossiper : IGossiper
    {
        public int Broadcasts { get; private set; }
        public List<byte[]> Unicasts { get; } = [];

        public void OnUnicast(PeerName source, ReadOnlyMemory<byte> message) => Unicasts.Add(message.ToArray());

        public byte[]? OnBroadcast(PeerName source, ReadOnlyMemory<byte> update)
        {
            Broadcasts++;
            return update.ToArray();
        }

        public byte[]? OnGossip(ReadOnlyMemory<byte> state) => null;

        public byte[] FullState() => [];
    }
}
