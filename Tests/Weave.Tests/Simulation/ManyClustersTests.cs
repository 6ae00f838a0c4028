using Weave.Gossip;
using Weave.Gossip.Topology;
using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Simulation;

/// <summary>
/// Several clusters in one mesh, as bench/mesh-scale runs them at scale: every peer must come to
/// see every cluster, with its range and its live peers, and stop seeing a cluster that is gone.
/// </summary>
public sealed class ManyClustersTests(ITestOutputHelper output)
{
    private static readonly ClusterIdentity[] s_clusters =
        [Cluster("a", "10.32.0.0/16"), Cluster("b", "10.33.0.0/16"), Cluster("c", "10.34.0.0/16")];

    /// <summary>Each cluster a chain of <paramref name="size"/>; the first peer of each later cluster targets the last of the one before (one <c>weave connect</c>).</summary>
    private static int[][] AddClusters(SimulatedMesh mesh, ClusterIdentity[] clusters, int size)
    {
        var members = new int[clusters.Length][];
        for (int k = 0; k < clusters.Length; k++)
        {
            members[k] = new int[size];
            for (int i = 0; i < size; i++)
            {
                int[] targets = i > 0 ? [members[k][i - 1]] : k > 0 ? [members[k - 1][size - 1]] : [];
                members[k][i] = mesh.AddPeerIn(clusters[k], targets);
            }
        }
        return members;
    }

    [Fact]
    public void ThreeClustersOfTen_FormOneMesh_EveryPeerSeesEveryClusterWithItsRangeAndPeers()
    {
        SimulatedMesh mesh = Sim.Create(2111);
        int[][] members = AddClusters(mesh, s_clusters, 10);
        // Nobody has heard of anybody yet: the check must see that.
        mesh.Check(!mesh.ClusterViewsAgree(), "cluster views agree before any gossip");

        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromSeconds(60), "three clusters did not form one mesh");
        mesh.Check(mesh.ClusterViewDisagreement() is null, $"cluster views differ: {mesh.ClusterViewDisagreement()}");

        output.WriteLine($"3 × 10 peers: full mesh after {took.TotalSeconds:0.000} s simulated; {mesh.Counters.Summary()}");
        Assert.Equal(30 * 29 / 2, mesh.ConnectionCount);
        foreach (SimulatedPeer observer in mesh.LivePeers)
        {
            var seen = observer.LiveNode.Topology.Records.GroupBy(r => r.Cluster).ToDictionary(g => g.Key!, g => g.Count());
            Assert.Equal(s_clusters.ToDictionary(c => c, _ => 10), seen);
        }
        mesh.Check(mesh.Refusals.All(r => r.Reason == "duplicate connection"), $"refused: {string.Join("; ", mesh.Refusals)}");
        mesh.CheckContract();
    }

    [Fact]
    public void ThreeClustersOfTen_OneClusterLeaves_TheOthersForgetIt()
    {
        SimulatedMesh mesh = Sim.Create(2112);
        int[][] members = AddClusters(mesh, s_clusters, 10);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(60), "three clusters did not form one mesh");

        foreach (int i in members[1])
        {
            mesh.Leave(i);
        }
        bool settled = mesh.RunUntil(() => mesh.TopologiesAgree() && mesh.ClusterViewsAgree(), TimeSpan.FromSeconds(30));

        mesh.Check(settled, $"not settled after cluster b left: {mesh.TopologyDisagreement() ?? mesh.ClusterViewDisagreement()}");
        foreach (SimulatedPeer observer in mesh.LivePeers)
        {
            mesh.Check(observer.LiveNode.Topology.Records.All(r => r.Cluster != s_clusters[1]), $"peer {observer.Index} still holds a record of cluster b");
        }
        mesh.CheckContract();
    }

    /// <summary>
    /// Two clusters named a with different ranges refuse each other, but their records still meet
    /// through cluster b; the view check reports the name with two ranges instead of passing.
    /// </summary>
    [Fact]
    public void OneNameWithTwoRanges_SeenThroughAThirdCluster_FailsTheViewCheck()
    {
        SimulatedMesh mesh = Sim.Create(2113);
        AddClusters(mesh, [s_clusters[0], s_clusters[1], Cluster("a", "10.40.0.0/16")], 2);

        bool agreed = mesh.RunUntil(() => mesh.TopologiesAgree(), TimeSpan.FromSeconds(30));

        mesh.Check(agreed, $"topologies did not agree: {mesh.TopologyDisagreement()}");
        string? disagreement = mesh.ClusterViewDisagreement();
        output.WriteLine($"view check: {disagreement}");
        Assert.Equal("the live peers themselves: cluster a has ranges 10.32.0.0/16 and 10.40.0.0/16", disagreement);
    }
}
