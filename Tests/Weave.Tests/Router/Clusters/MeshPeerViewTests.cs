using System.Net;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Weave.Ipam;
using Weave.Router.Ipam;
using Weave.Tests.Gossip.Mesh;
using Xunit;

namespace Weave.Tests.Router.Clusters;

/// <summary>The allocator sees only the peers of our cluster: other clusters keep rings of their own.</summary>
public sealed class MeshPeerViewTests
{
    private static ClusterIdentity Cluster(string name, string range)
    {
        Assert.True(ClusterIdentity.TryCreate(name, IPNetwork.Parse(range), out ClusterIdentity? cluster, out string error), error);
        return cluster;
    }

    private static PeerRecord Record(ulong name, string nick, ClusterIdentity? cluster) =>
        new(new PeerName(name), nick, uid: name, version: 1, connections: [], cluster);

    [Fact]
    public void Peers_AreThoseOfOurCluster_AndThoseThatNameNone()
    {
        ClusterIdentity a = Cluster("a", "10.32.0.0/12");
        ClusterIdentity b = Cluster("b", "10.48.0.0/16");
        var self = new PeerIdentity(new PeerName(1), "self", 1) { Cluster = a };
        var node = new MeshNode(self, FakeMesh.Options, new RecordingTransport(), new FakeMesh().Time, new Random(1));
        node.Topology.Merge([Record(2, "a2", a), Record(3, "b3", b), Record(4, "old", null), Record(5, "b5", b)]);

        IReadOnlyCollection<IpamPeer> peers = new MeshPeerView(node).Peers;

        Assert.Equal(["a2", "old"], peers.Select(p => p.NickName).Order(StringComparer.Ordinal));
        Assert.All(peers, p => Assert.False(p.Reachable)); // no link leads to them
    }

    [Fact]
    public void Peers_OfARouterThatNamesNoCluster_AreEveryone()
    {
        var self = new PeerIdentity(new PeerName(1), "self", 1);
        var node = new MeshNode(self, FakeMesh.Options, new RecordingTransport(), new FakeMesh().Time, new Random(1));
        node.Topology.Merge([Record(2, "a2", Cluster("a", "10.32.0.0/12")), Record(3, "b3", Cluster("b", "10.48.0.0/16"))]);

        Assert.Equal(2, new MeshPeerView(node).Peers.Count);
    }
}
