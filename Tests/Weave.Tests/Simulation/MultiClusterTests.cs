using Weave.Gossip;
using Weave.Gossip.Topology;
using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Simulation;

/// <summary>
/// Clusters sharing one mesh: each a chain of initial targets, joined by one peer that targets a
/// peer of the other cluster (what <c>weave connect</c> does). Disjoint ranges make one full mesh;
/// overlapping ranges keep the clusters apart, refused at both ends.
/// </summary>
public sealed class MultiClusterTests(ITestOutputHelper output)
{
    private static readonly ClusterIdentity s_a = Cluster("a", "10.32.0.0/12");
    private static readonly ClusterIdentity s_b = Cluster("b", "10.48.0.0/12");
    private static readonly ClusterIdentity s_overlapsA = Cluster("c", "10.32.0.0/16");

    /// <summary>Adds <paramref name="count"/> peers of <paramref name="cluster"/>, each targeting the one before; the first targets <paramref name="bridge"/> if given.</summary>
    private static int[] AddCluster(SimulatedMesh mesh, ClusterIdentity cluster, int count, int? bridge = null)
    {
        var indexes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int[] targets = i > 0 ? [indexes[i - 1]] : bridge is { } b ? [b] : [];
            indexes[i] = mesh.AddPeerIn(cluster, targets);
        }
        return indexes;
    }

    [Fact]
    public void TwoClustersOfFour_DisjointRanges_FormOneFullMesh_EveryRecordCarryingItsCluster()
    {
        SimulatedMesh mesh = Sim.Create(2101);
        AddCluster(mesh, s_a, 4);
        AddCluster(mesh, s_b, 4, bridge: 3);

        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromSeconds(20), "two clusters did not form one mesh");

        output.WriteLine($"4 + 4 peers: full mesh after {took.TotalSeconds:0.000} s simulated; {mesh.Counters.Summary()}");
        Assert.Equal(8 * 7 / 2, mesh.ConnectionCount);
        foreach (SimulatedPeer observer in mesh.LivePeers)
        {
            foreach (SimulatedPeer owner in mesh.LivePeers)
            {
                mesh.Check(observer.LiveNode.Topology.TryGet(owner.Name, out PeerRecord? record) && record.Cluster == owner.Cluster,
                    $"peer {observer.Index} does not hold peer {owner.Index}'s record with cluster {owner.Cluster}");
            }
        }
        // Peers dialling each other at once refuse one duplicate: the only refusals expected.
        mesh.Check(mesh.Refusals.All(r => r.Reason == "duplicate connection"), $"refused: {string.Join("; ", mesh.Refusals)}");
        mesh.CheckContract();
    }

    [Fact]
    public void TwoClustersOfFour_OverlappingRanges_StayApart_BothSidesLogTheRefusal_AndRetriesBackOff()
    {
        SimulatedMesh mesh = Sim.Create(2102);
        int[] a = AddCluster(mesh, s_a, 4);
        int[] c = AddCluster(mesh, s_overlapsA, 4, bridge: a[3]);

        mesh.RunFor(TimeSpan.FromMinutes(10));

        foreach (int[] cluster in new[] { a, c })
        {
            foreach (int i in cluster)
            {
                mesh.Check(mesh.ConnectedTo(i).SetEquals(cluster.Where(j => j != i)), $"peer {i} is not connected to exactly its own cluster");
                mesh.Check(mesh[i].LiveNode.Topology.Records.All(r => r.Cluster == mesh[i].Cluster),
                    $"peer {i} holds records of the other cluster");
            }
        }
        const string fromA = "cluster c (10.32.0.0/16) overlaps our cluster a (10.32.0.0/12): peered clusters need disjoint --ipalloc-range";
        const string fromC = "cluster a (10.32.0.0/12) overlaps our cluster c (10.32.0.0/16): peered clusters need disjoint --ipalloc-range";
        mesh.Check(mesh.Refusals.Any(r => r.Refuser == a[3] && r.Remote == c[0] && r.Reason == fromA), "cluster a did not refuse");
        mesh.Check(mesh.Refusals.Any(r => r.Refuser == c[0] && r.Remote == a[3] && r.Reason == fromC), "cluster c did not refuse");
        mesh.Check(mesh.Refusals.All(r => r.Reason is fromA or fromC), $"other refusals: {string.Join("; ", mesh.Refusals)}");
        // One target, retried with backoff growing from 2 s to 6 min: a dozen attempts in 10 min,
        // not one every 2 s. Each attempt is refused at both ends.
        int attempts = mesh.Refusals.Count / 2;
        output.WriteLine($"overlapping clusters: {attempts} refused attempts in 10 min; {mesh.Counters.Summary()}");
        mesh.Check(attempts is >= 5 and <= 20, $"{attempts} attempts in 10 minutes");
        mesh.CheckContract();
    }

    /// <summary>
    /// a and c overlap; b is disjoint from both and peers with both. a and c never connect (nor
    /// dial each other), yet each holds the other's records and routes to it through b.
    /// </summary>
    [Fact]
    public void ClustersThatRefuseEachOther_ReachEachOtherThroughAThird()
    {
        SimulatedMesh mesh = Sim.Create(2103);
        int[] a = AddCluster(mesh, s_a, 2);
        int[] b = AddCluster(mesh, s_b, 2, bridge: a[1]);
        int[] c = AddCluster(mesh, s_overlapsA, 2, bridge: b[1]);

        bool settled = mesh.RunUntil(() => mesh.TopologiesAgree() && a.Concat(c).All(i => mesh.ConnectedTo(i).Count == 3), TimeSpan.FromSeconds(30));

        mesh.Check(settled, $"not settled: {mesh.TopologyDisagreement() ?? "topologies agree"}");
        mesh.RunFor(TimeSpan.FromSeconds(1)); // recalculation is coalesced
        foreach (int i in a)
        {
            foreach (int j in c)
            {
                mesh.Check(!mesh.ConnectedTo(i).Contains(j), $"peers {i} and {j} connected across overlapping ranges");
                mesh.Check(mesh.Node(i).DataRoutes.TryGetNextHop(mesh[j].Name, out PeerName hop) && b.Any(k => mesh[k].Name == hop),
                    $"peer {i} has no route to {j} through cluster b");
                mesh.Check(mesh.Node(j).DataRoutes.TryGetNextHop(mesh[i].Name, out hop) && b.Any(k => mesh[k].Name == hop),
                    $"peer {j} has no route to {i} through cluster b");
            }
        }
        // Discovery never dialled across the overlap, so nobody had anything to refuse there.
        mesh.Check(mesh.Refusals.All(r => r.Reason == "duplicate connection"), $"refused: {string.Join("; ", mesh.Refusals)}");
        mesh.CheckContract();
    }
}
