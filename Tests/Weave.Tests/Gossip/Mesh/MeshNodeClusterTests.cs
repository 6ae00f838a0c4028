using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Gossip.Mesh;

/// <summary>Admission and discovery between routers of several clusters (<see cref="ClusterAdmission"/>).</summary>
public sealed class MeshNodeClusterTests
{
    private static readonly ClusterIdentity s_a = Cluster("a", "10.32.0.0/12");
    private static readonly ClusterIdentity s_b = Cluster("b", "10.48.0.0/16");
    private static readonly ClusterIdentity s_overlapsA = Cluster("c", "10.32.0.0/16");

    private static MeshOptions WithPeerClusters(params string[] names) => FakeMesh.Options with { PeerClusters = names.ToHashSet() };

    /// <summary>Both ends of one connection get their handshake result, as the router and the simulator do.</summary>
    private static (bool AcceptedAtDialler, string? AtDialler, bool AcceptedAtAcceptor, string? AtAcceptor) Handshake(MeshNode dialler, MeshNode acceptor)
    {
        var atDialler = new FakeConnection(acceptor.Self, outbound: true, $"10.0.0.{acceptor.Self.Name.Value}:6783", 7);
        var atAcceptor = new FakeConnection(dialler.Self, outbound: false, $"10.0.0.{dialler.Self.Name.Value}:40000", 7);
        bool acceptedAtAcceptor = acceptor.OnConnected(atAcceptor);
        bool acceptedAtDialler = dialler.OnConnected(atDialler);
        return (acceptedAtDialler, atDialler.ClosedReason, acceptedAtAcceptor, atAcceptor.ClosedReason);
    }

    [Fact]
    public void OnConnected_OtherClusterWithOverlappingRange_BothEndsRefuse_NamingBothClustersAndRanges()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, cluster: s_a), c = mesh.Add(3, cluster: s_overlapsA);

        var result = Handshake(a, c);

        Assert.False(result.AcceptedAtDialler);
        Assert.False(result.AcceptedAtAcceptor);
        Assert.Equal("cluster c (10.32.0.0/16) overlaps our cluster a (10.32.0.0/12): peered clusters need disjoint --ipalloc-range", result.AtDialler);
        Assert.Equal("cluster a (10.32.0.0/12) overlaps our cluster c (10.32.0.0/16): peered clusters need disjoint --ipalloc-range", result.AtAcceptor);
        Assert.Equal(0, a.ConnectionCount);
        Assert.Equal(0, c.ConnectionCount);
    }

    [Fact]
    public void OnConnected_OwnClusterWithAnotherRange_BothEndsRefuse_NamingBothRanges()
    {
        var mesh = new FakeMesh();
        MeshNode a1 = mesh.Add(1, cluster: s_a), a2 = mesh.Add(2, cluster: Cluster("a", "10.32.0.0/16"));

        var result = Handshake(a1, a2);

        Assert.False(result.AcceptedAtDialler || result.AcceptedAtAcceptor);
        Assert.Equal("peer is in our cluster a but allocates from 10.32.0.0/16, we from 10.32.0.0/12: " +
            "routers of one cluster need the same --ipalloc-range", result.AtDialler);
        Assert.Equal("peer is in our cluster a but allocates from 10.32.0.0/12, we from 10.32.0.0/16: " +
            "routers of one cluster need the same --ipalloc-range", result.AtAcceptor);
    }

    [Fact]
    public void OnConnected_ClusterNotInPeerClusters_RefusedByTheEndThatLimits_EachEndAppliesItsOwn()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, WithPeerClusters("d", "c"), cluster: s_a), b = mesh.Add(2, cluster: s_b);

        var result = Handshake(b, a);

        Assert.False(result.AcceptedAtAcceptor);
        Assert.Equal("cluster b is not in our --peer-clusters (c, d)", result.AtAcceptor);
        // b admits any cluster; the close from a ends its side too.
        Assert.True(result.AcceptedAtDialler);
    }

    [Fact]
    public void OnConnected_EmptyPeerClusters_RefusesEveryOtherCluster_NotOurOwn()
    {
        var mesh = new FakeMesh();
        MeshNode a1 = mesh.Add(1, WithPeerClusters(), cluster: s_a), a2 = mesh.Add(2, WithPeerClusters(), cluster: s_a);
        MeshNode b = mesh.Add(3, cluster: s_b);

        Assert.Equal("cluster b is not in our --peer-clusters (none)", Handshake(b, a1).AtAcceptor);
        Assert.True(mesh.Connect(a1, a2));
    }

    [Fact]
    public void OnConnected_Admitted_DisjointClustersListed_OlderPeers_AndRoutersWithoutAllocation()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, WithPeerClusters("b"), cluster: s_a), b = mesh.Add(2, WithPeerClusters("a"), cluster: s_b);
        MeshNode older = mesh.Add(3, cluster: null), noRange = mesh.Add(4, cluster: Cluster("a", null));
        MeshNode otherNoRange = mesh.Add(5, WithPeerClusters("a"), cluster: Cluster("b", null));
        MeshNode unlisted = mesh.Add(6, cluster: s_a);

        Assert.True(mesh.Connect(a, b));
        Assert.True(mesh.Connect(older, unlisted));
        Assert.True(mesh.Connect(noRange, a));
        Assert.True(mesh.Connect(otherNoRange, noRange));
    }

    [Fact]
    public void OnConnected_PeerNamingNoCluster_RefusedWhereTheListIsSet()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, WithPeerClusters("b"), cluster: s_a), older = mesh.Add(2, cluster: null);

        var result = Handshake(older, a);

        Assert.False(result.AcceptedAtAcceptor);
        Assert.Equal("peer names no cluster, and our --peer-clusters (b) admits only the clusters it names", result.AtAcceptor);
    }

    [Fact]
    public void RefusedTarget_IsNotFatal_RetriedWithBackoff_AndShownWithTheReason()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, cluster: s_a), c = mesh.Add(3, cluster: s_overlapsA);
        var target = new PeerAddress("10.0.0.3", 6783);
        a.Start([target]);
        a.Tick();
        Assert.Single(mesh.Transports[0].Dials);

        Assert.False(a.OnConnected(new FakeConnection(c.Self, outbound: true, target.ToString(), 9)));

        ConnectionRow row = Assert.Single(a.Status().Connections);
        Assert.Equal(ConnectionStates.Failed, row.State);
        Assert.Contains("overlaps our cluster a", row.Info, StringComparison.Ordinal);
        Assert.Contains(", retry: ", row.Info, StringComparison.Ordinal);
        TimeSpan wait = a.NextDeadline - mesh.Time.GetUtcNow();
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        mesh.Time.Advance(wait);
        a.Tick();
        Assert.Equal(2, mesh.Transports[0].Dials.Count);
    }

    [Fact]
    public void Records_CarryTheirOwnersCluster_AndStatusShowsIt()
    {
        var mesh = new FakeMesh();
        MeshNode a = mesh.Add(1, cluster: s_a), b = mesh.Add(2, cluster: s_b), older = mesh.Add(3);
        Assert.True(mesh.Connect(a, b));
        Assert.True(mesh.Connect(older, b));
        mesh.Pump();

        foreach (MeshNode node in mesh.Nodes)
        {
            foreach (MeshNode owner in mesh.Nodes)
            {
                Assert.True(node.Topology.TryGet(owner.Self.Name, out PeerRecord? record));
                Assert.Equal(owner.Self.Cluster, record.Cluster);
            }
        }
        Assert.Equal([s_a, s_b, null], older.Status().Peers.Select(p => p.Cluster));
    }

    /// <summary>
    /// a and c overlap; b, between them, peers with both; d peers with everyone. a learns of c and
    /// d from b's record: it dials d, never c, and c never dials a, yet a reaches c through b.
    /// </summary>
    [Fact]
    public void Discovery_DoesNotDialPeersOfClustersWeRefuse_WhoStayReachableThroughOthers()
    {
        var mesh = new FakeMesh();
        MeshOptions discovery = FakeMesh.Options with { Discovery = true };
        MeshNode a = mesh.Add(1, discovery, cluster: s_a), b = mesh.Add(2, discovery, cluster: s_b);
        MeshNode c = mesh.Add(3, discovery, cluster: s_overlapsA), d = mesh.Add(4, discovery, cluster: Cluster("d", "10.49.0.0/16"));
        Assert.True(mesh.Connect(b, a));
        Assert.True(mesh.Connect(c, b));
        Assert.True(mesh.Connect(d, b));
        mesh.Pump(TimeSpan.FromSeconds(3));

        Assert.True(a.Topology.TryGet(c.Self.Name, out _));
        Assert.Contains(mesh.Transports[0].Dials, x => x.Host == "10.0.0.4");
        Assert.DoesNotContain(mesh.Transports[0].Dials, x => x.Host == "10.0.0.3");
        Assert.DoesNotContain(mesh.Transports[2].Dials, x => x.Host == "10.0.0.1");
        Assert.DoesNotContain(a.Status().Connections, r => r.Address.StartsWith("10.0.0.3", StringComparison.Ordinal));
        Assert.True(a.DataRoutes.TryGetNextHop(c.Self.Name, out PeerName hop));
        Assert.Equal(b.Self.Name, hop);
    }

    [Fact]
    public void Discovery_DoesNotDialClustersLeftOutOfPeerClusters()
    {
        var mesh = new FakeMesh();
        MeshOptions discovery = FakeMesh.Options with { Discovery = true };
        MeshNode a = mesh.Add(1, discovery with { PeerClusters = new HashSet<string> { "b" } }, cluster: s_a);
        MeshNode b = mesh.Add(2, discovery, cluster: s_b), d = mesh.Add(4, discovery, cluster: Cluster("d", "10.49.0.0/16"));
        MeshNode b2 = mesh.Add(5, discovery, cluster: s_b);
        Assert.True(mesh.Connect(b, a));
        Assert.True(mesh.Connect(d, b));
        Assert.True(mesh.Connect(b2, b));
        mesh.Pump(TimeSpan.FromSeconds(3));

        Assert.True(a.Topology.TryGet(d.Self.Name, out _));
        Assert.Contains(mesh.Transports[0].Dials, x => x.Host == "10.0.0.5");
        Assert.DoesNotContain(mesh.Transports[0].Dials, x => x.Host == "10.0.0.4");
    }
}
