using System.Net;
using Weave.Gossip;
using Weave.Gossip.Topology;
using Weave.Router.Clusters;
using Xunit;

namespace Weave.Tests.Router.Clusters;

public sealed class ClusterViewTests
{
    private static readonly ClusterIdentity s_a = Cluster("a", "10.32.0.0/12");
    private static readonly ClusterIdentity s_b = Cluster("b", "10.48.0.0/16");
    private static readonly ClusterIdentity s_c = Cluster("c", "10.49.0.0/16");
    private static readonly PeerIdentity s_self = new(new PeerName(1), "a1", 1) { Cluster = s_a };

    internal static ClusterIdentity Cluster(string name, string? range)
    {
        Assert.True(ClusterIdentity.TryCreate(name, range is null ? null : IPNetwork.Parse(range), out ClusterIdentity? cluster, out string error), error);
        return cluster;
    }

    private static PeerRecord Record(ulong name, ClusterIdentity? cluster) =>
        new(new PeerName(name), "p" + name, uid: name, version: 1, connections: [], cluster);

    private static ClusterView View(IEnumerable<PeerRecord> records, ulong[]? reachable = null, IReadOnlySet<string>? peerClusters = null) =>
        ClusterView.Of(s_self, [new PeerRecord(s_self.Name, s_self.NickName, s_self.Uid, 1, [], s_a), .. records],
            p => reachable is null || reachable.Contains(p.Value), peerClusters);

    [Fact]
    public void Of_GroupsPeersByCluster_OursCountingUsAndPeersThatNameNone()
    {
        ClusterView view = View([Record(2, s_a), Record(3, s_b), Record(4, s_b), Record(5, null), Record(6, s_c)], reachable: [2, 3, 6]);

        Assert.Equal(s_a, view.Ours);
        Assert.Equal(3, view.OurPeers); // us, peer 2, and peer 5, which names no cluster (an older router)
        Assert.Equal(
            [new ClusterSummary("b", IPNetwork.Parse("10.48.0.0/16"), 2, 1, null), new ClusterSummary("c", IPNetwork.Parse("10.49.0.0/16"), 1, 1, null)],
            view.Others);
        Assert.Equal([IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("10.49.0.0/16")], view.PeeredRanges);
    }

    [Fact]
    public void PeeredRanges_LeaveOutAClusterWithNoReachableRouter()
    {
        ClusterView view = View([Record(3, s_b), Record(4, s_b), Record(6, s_c)], reachable: [6]);
        Assert.Equal(0, view.Others[0].Reachable);
        Assert.False(view.Others[0].Routed);
        Assert.Equal([IPNetwork.Parse("10.49.0.0/16")], view.PeeredRanges);
    }

    [Fact]
    public void Of_AClusterOverlappingOurs_IsNotPeered_ThoughItsRecordsReachUs()
    {
        ClusterIdentity overlapping = Cluster("d", "10.33.0.0/16");
        ClusterView view = View([Record(3, overlapping), Record(4, s_b)]);
        ClusterSummary d = Assert.Single(view.Others, c => c.Name == "d");
        Assert.Equal("cluster d (10.33.0.0/16) overlaps our cluster a (10.32.0.0/12): peered clusters need disjoint --ipalloc-range", d.NotPeered);
        Assert.Equal([IPNetwork.Parse("10.48.0.0/16")], view.PeeredRanges);
    }

    [Fact]
    public void Of_AClusterNotInPeerClusters_IsNotPeered()
    {
        ClusterView view = View([Record(3, s_b), Record(4, s_c)], peerClusters: new HashSet<string> { "c" });
        Assert.Equal("cluster b is not in our --peer-clusters (c)", view.Others.Single(c => c.Name == "b").NotPeered);
        Assert.Null(view.Others.Single(c => c.Name == "c").NotPeered);
        Assert.Equal([IPNetwork.Parse("10.49.0.0/16")], view.PeeredRanges);
    }

    [Fact]
    public void PeeredRanges_AClusterWithoutARange_IsListedButNotRouted()
    {
        ClusterView view = View([Record(3, Cluster("e", null))]);
        ClusterSummary e = Assert.Single(view.Others);
        Assert.Equal("e (no IP allocation)", e.Display);
        Assert.False(e.Routed);
        Assert.Empty(view.PeeredRanges);
    }

    [Fact]
    public void PeeredRanges_AreInAddressOrder_EachOnce_WhateverTheRecordsOrder()
    {
        ClusterIdentity low = Cluster("z", "10.16.0.0/16");
        ClusterIdentity sameRangeOtherName = Cluster("y", "10.48.0.0/16");
        ClusterView view = View([Record(9, s_c), Record(8, s_b), Record(7, low), Record(6, sameRangeOtherName)]);
        Assert.Equal([IPNetwork.Parse("10.16.0.0/16"), IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("10.49.0.0/16")], view.PeeredRanges);
        Assert.Equal(["b", "c", "y", "z"], view.Others.Select(c => c.Name));
    }
}
