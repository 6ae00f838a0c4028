using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Xunit;

namespace Weave.Tests.Gossip.Mesh;

/// <summary>
/// Data-path health reported by the host (<see cref="MeshNode.SetDataPathHealth"/>): a connection
/// counts as established, and carries data routes, only while its data path is healthy.
/// </summary>
public sealed class MeshNodeDataPathTests
{
    private static readonly MeshOptions s_requireHealth = FakeMesh.Options with { RequireDataPathHealth = true };

    /// <summary>A triangle 1–2–3 whose connections all wait for data-path health.</summary>
    private static FakeMesh Triangle()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, s_requireHealth), b = mesh.Add(2, s_requireHealth), c = mesh.Add(3, s_requireHealth);
        Assert.True(mesh.Connect(a, b));
        Assert.True(mesh.Connect(b, c));
        Assert.True(mesh.Connect(a, c));
        mesh.Pump(TimeSpan.FromSeconds(1));
        return mesh;
    }

    private static void SetHealth(FakeMesh mesh, int from, int to, bool healthy, string reason = "")
    {
        MeshNode node = mesh.Nodes[from - 1];
        FakeConnection connection = mesh.Connections.Single(c => c.Node == node && c.Connection.Remote.Name == new PeerName((ulong)to)).Connection;
        node.SetDataPathHealth(connection, healthy, reason);
    }

    private static void SetHealthBothWays(FakeMesh mesh, int a, int b, bool healthy)
    {
        SetHealth(mesh, a, b, healthy, "no UDP heartbeat");
        SetHealth(mesh, b, a, healthy, "no UDP heartbeat");
    }

    private static PeerName? NextHop(MeshNode node, int destination) =>
        node.DataRoutes.TryGetNextHop(new PeerName((ulong)destination), out PeerName hop) ? hop : null;

    [Fact]
    public void NewConnection_RequiringHealth_IsPendingWithAReasonAndCarriesNoDataRoute()
    {
        FakeMesh mesh = Triangle();
        MeshNode a = mesh.Nodes[0];
        Assert.All(a.Status().Connections, row =>
        {
            Assert.Equal(ConnectionStates.Pending, row.State);
            Assert.Contains("waiting for UDP heartbeats", row.Info, StringComparison.Ordinal);
        });
        Assert.Empty(a.DataRoutes.Reachable);
        Assert.All(a.Status().Peers, p => Assert.All(p.Links, l => Assert.False(l.Established)));
    }

    [Fact]
    public void HealthyBothWays_ConnectionsEstablishedAndRoutesDirect()
    {
        FakeMesh mesh = Triangle();
        SetHealthBothWays(mesh, 1, 2, true);
        SetHealthBothWays(mesh, 2, 3, true);
        SetHealthBothWays(mesh, 1, 3, true);
        mesh.Pump(TimeSpan.FromSeconds(1));

        MeshNode a = mesh.Nodes[0];
        Assert.All(a.Status().Connections, row => Assert.Equal(ConnectionStates.Established, row.State));
        Assert.Equal(new PeerName(2), NextHop(a, 2));
        Assert.Equal(new PeerName(3), NextHop(a, 3));
    }

    [Fact]
    public void UnhealthyOnOneSide_DataRoutesOfBothEndsGoAroundIt_AndComeBackWhenHealthy()
    {
        FakeMesh mesh = Triangle();
        SetHealthBothWays(mesh, 1, 2, true);
        SetHealthBothWays(mesh, 2, 3, true);
        SetHealthBothWays(mesh, 1, 3, true);
        mesh.Pump(TimeSpan.FromSeconds(1));
        MeshNode a = mesh.Nodes[0], c = mesh.Nodes[2];
        var changes = new List<PeerName?>();
        a.DataRoutesChanged += routes => changes.Add(routes.TryGetNextHop(new PeerName(3), out PeerName hop) ? hop : null);

        SetHealth(mesh, 1, 3, false, "no UDP heartbeat on 6784 for 5s");
        mesh.Pump(TimeSpan.FromSeconds(1));

        Assert.Equal(new PeerName(2), NextHop(a, 3));
        Assert.Equal(new PeerName(2), NextHop(c, 1)); // symmetric: c sees a's record no longer lists the link
        ConnectionRow row = a.Status().Connections.Single(r => r.Info.Contains("n3", StringComparison.Ordinal));
        Assert.Equal(ConnectionStates.Pending, row.State);
        Assert.EndsWith("no UDP heartbeat on 6784 for 5s", row.Info, StringComparison.Ordinal);

        SetHealth(mesh, 1, 3, true, "");
        mesh.Pump(TimeSpan.FromSeconds(1));
        Assert.Equal(new PeerName(3), NextHop(a, 3));
        Assert.Equal(new PeerName(1), NextHop(c, 1));
        Assert.Equal([new PeerName(2), new PeerName(3)], changes);
    }

    [Fact]
    public void SetDataPathHealth_SameStateOrUnknownConnection_ChangesNothing()
    {
        FakeMesh mesh = Triangle();
        MeshNode a = mesh.Nodes[0];
        FakeConnection toB = mesh.Connections.First(c => c.Node == a).Connection;
        Assert.True(a.SetDataPathHealth(toB, true, ""));
        Assert.False(a.SetDataPathHealth(toB, true, ""));
        var stranger = new FakeConnection(new PeerIdentity(new PeerName(9), "n9", 9), outbound: true, "10.0.0.9:6783", 77);
        Assert.False(a.SetDataPathHealth(stranger, true, ""));
        var stale = new FakeConnection(toB.Remote, outbound: true, toB.RemoteAddress, 78);
        Assert.False(a.SetDataPathHealth(stale, false, "late report"));
        Assert.Equal(ConnectionStates.Established, a.Status().Connections.Single(r => r.Info.StartsWith(toB.Remote.Display, StringComparison.Ordinal)).State);
    }

    [Fact]
    public void DefaultOptions_ConnectionsEstablishedAtOnce()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1), b = mesh.Add(2);
        Assert.True(mesh.Connect(a, b));
        mesh.Pump(TimeSpan.FromSeconds(1));
        Assert.Equal(ConnectionStates.Established, Assert.Single(a.Status().Connections).State);
        Assert.Equal(new PeerName(2), NextHop(a, 2));
    }

    [Fact]
    public void CurrentDataRoutes_FollowEveryChangeAtOnce_DataRoutesAfterTheRecalculation()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, s_requireHealth);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(a, 2, 2);
        FakeMesh.DeliverRecord(a, links[2], new PeerRecord(new PeerName(2), "n2", 1002, 5,
            [new ConnectionSummary(new PeerName(1), "10.0.0.1:40000", Outbound: false, Established: true)]));
        Assert.True(a.SetDataPathHealth(links[2], true, ""));

        Assert.True(a.CurrentDataRoutes.TryGetNextHop(new PeerName(2), out PeerName hop));
        Assert.Equal(new PeerName(2), hop);
        Assert.Empty(a.DataRoutes.Reachable); // the data plane's table waits for the coalesced recalculation
        mesh.Time.Advance(FakeMesh.Options.RouteRecalcDelay);
        a.Tick();
        Assert.Same(a.CurrentDataRoutes, a.DataRoutes);

        a.OnClosed(links[2], "closed by the peer");
        Assert.Empty(a.CurrentDataRoutes.Reachable);
        Assert.Single(a.DataRoutes.Reachable);
    }

    [Fact]
    public void AChangeWhileAPeerAwaitsRemoval_ReachesTheDataRoutesAfterTheRecalcDelay_NotAtTheRemoval()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, s_requireHealth);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(a, 2, 2);
        // A record of a peer nobody links to: unreachable, so it waits out the removal delay, and
        // the next recalculation is set for when that delay ends.
        FakeMesh.DeliverRecord(a, links[2], new PeerRecord(new PeerName(9), "n9", 1009, 1, []));
        mesh.Time.Advance(FakeMesh.Options.RouteRecalcDelay);
        a.Tick();
        Assert.Contains(a.Topology.Records, r => r.Name == new PeerName(9));

        FakeMesh.DeliverRecord(a, links[2], new PeerRecord(new PeerName(2), "n2", 1002, 5,
            [new ConnectionSummary(new PeerName(1), "10.0.0.1:40000", Outbound: false, Established: true)]));
        Assert.True(a.SetDataPathHealth(links[2], true, ""));
        mesh.Time.Advance(FakeMesh.Options.RouteRecalcDelay);
        a.Tick();

        Assert.True(a.DataRoutes.TryGetNextHop(new PeerName(2), out _),
            "the link made healthy should reach the data routes one recalculation delay later, not when peer 9's removal is due");
        Assert.Contains(a.Topology.Records, r => r.Name == new PeerName(9));
    }
}
