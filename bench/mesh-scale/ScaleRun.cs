using System.Diagnostics;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Weave.Simulation;

namespace Weave.Bench.MeshScale;

/// <summary>One N split into K clusters: form, settle, measure steady state, then one join and one leave.</summary>
internal static class ScaleRun
{
    /// <summary>Weave gossiped its full topology every 30 s ...</summary>
    public static readonly TimeSpan WeaveGossipInterval = TimeSpan.FromSeconds(30);

    public static ScaleResult Measure(int peers, int clusters, int seed, TimeSpan steady, int? connectionLimit, int sparseTargets)
    {
        ClusterIdentity[] clusterOf = MeshClusters.Create(clusters);
        var wall = Stopwatch.StartNew();
        // Full: a chain of targets and discovery, so every peer connects to every other.
        // Sparse (sparseTargets > 0): no discovery; each peer targets that many random earlier peers.
        var meshOptions = new MeshOptions { Discovery = sparseTargets == 0 };
        if (connectionLimit is int limit)
        {
            meshOptions = meshOptions with { ConnectionLimit = limit };
        }
        var mesh = new SimulatedMesh(seed * 100_003 + peers, new SimulationOptions { Mesh = meshOptions, TraceLines = 0 });
        bool canBeFull = sparseTargets == 0 && (meshOptions.ConnectionLimit == 0 || meshOptions.ConnectionLimit >= peers - 1);
        var topologyChoice = new Random(seed);

        // The same seed gives the same graph whatever K: only the peers' clusters differ.
        mesh.AddPeerIn(clusterOf[MeshClusters.Of(0, peers, clusters)]);
        for (int i = 1; i < peers; i++)
        {
            mesh.AddPeerIn(clusterOf[MeshClusters.Of(i, peers, clusters)],
                sparseTargets == 0 ? [i - 1] : Enumerable.Range(0, Math.Min(i, sparseTargets)).Select(_ => topologyChoice.Next(i)).Distinct().ToArray());
        }
        TimeSpan formed = Converge(mesh, canBeFull, TimeSpan.FromMinutes(30), "formation");
        bool full = mesh.IsFullyConnected();
        var phases = new List<string> { $"form {wall.Elapsed.TotalSeconds:0.0}" };
        void Phase(string name) => phases.Add($"{name} {wall.Elapsed.TotalSeconds:0.0}");
        if (!mesh.RunToQuiescence(TimeSpan.FromMinutes(30)))
        {
            throw new SimulationException($"N={peers}: no quiescence after forming\n{mesh.Describe()}");
        }

        Phase("quiet");
        long messages0 = mesh.Counters.TotalMessages, bytes0 = mesh.Counters.TotalBytes;
        mesh.RunFor(steady);
        double minutes = steady.TotalMinutes;
        double messagesPerPeerMinute = (mesh.Counters.TotalMessages - messages0) / (peers * minutes);
        double bytesPerPeerMinute = (mesh.Counters.TotalBytes - bytes0) / (peers * minutes);
        Phase("steady");

        // Weave's baseline from this very topology: the bytes of every record, as one update.
        IReadOnlyCollection<PeerRecord> records = mesh.Node(0).Topology.Records;
        long fullTopology = TopologyCodec.EncodeRecords(records).Length + MeshCounters.FrameOverheadBytes;
        (double weaveMessages, double weaveBytes) = WeaveBaseline(peers, fullTopology);

        var choose = new Random(seed);
        mesh.AddPeerIn(clusterOf[MeshClusters.Of(peers, peers, clusters)],
            sparseTargets == 0 ? [choose.Next(peers)] : Enumerable.Range(0, sparseTargets).Select(_ => choose.Next(peers)).Distinct().ToArray());
        TimeSpan joined = Converge(mesh, false, TimeSpan.FromMinutes(10), "join");
        Phase("join");
        mesh.RunToQuiescence(TimeSpan.FromMinutes(30));
        Phase("quiet");

        mesh.Leave(choose.Next(peers));
        TimeSpan left = Converge(mesh, false, TimeSpan.FromMinutes(10), "leave");
        Phase("leave");

        return new ScaleResult(peers, clusters, sparseTargets == 0 ? "full" : $"sparse {sparseTargets}", formed, full, joined, left,
            messagesPerPeerMinute, bytesPerPeerMinute, fullTopology, weaveMessages, weaveBytes, wall.Elapsed,
            $"real s at end of phase: {string.Join(", ", phases)}; {mesh.TimeInNodes.TotalSeconds:0.0} s real inside MeshNode calls; formed in {formed.TotalSeconds:0.0} s ({(full ? "full mesh" : $"{mesh.ConnectionCount} links, limit {meshOptions.ConnectionLimit}")}); {mesh.Counters.Summary()}");
    }

    /// <summary>
    /// Weave's periodic topology gossip: every 30 s each peer sent its full topology to
    /// min(2·log₂N, distinct next hops) neighbours (mesh 0.4's fan-out); in a connected mesh the
    /// next hops are the neighbours. Returns messages and bytes per peer per minute.
    /// </summary>
    public static (double Messages, double Bytes) WeaveBaseline(int peers, long fullTopologyBytes)
    {
        double fanout = Math.Min(2 * Math.Log2(peers), peers - 1);
        double roundsPerMinute = TimeSpan.FromMinutes(1) / WeaveGossipInterval;
        return (fanout * roundsPerMinute, fanout * roundsPerMinute * fullTopologyBytes);
    }

    /// <summary>
    /// Simulated time until every live node holds the same records of exactly the live peers (and,
    /// if possible, a full mesh); then every node's records must show every live cluster, its
    /// range and its live peers.
    /// </summary>
    private static TimeSpan Converge(SimulatedMesh mesh, bool requireFull, TimeSpan limit, string what)
    {
        TimeSpan start = mesh.Elapsed;
        bool ok = mesh.RunUntil(() => (!requireFull || mesh.IsFullyConnected()) && mesh.TopologiesAgree(deep: false), limit, TimeSpan.FromMilliseconds(10));
        if (!ok)
        {
            throw new SimulationException($"N={mesh.LiveCount}: no convergence after {what} within {limit}: {mesh.TopologyDisagreement(deep: false)}\n{mesh.Describe()}");
        }
        TimeSpan took = mesh.Elapsed - start;
        if (mesh.ClusterViewDisagreement() is { } wrong)
        {
            throw new SimulationException($"N={mesh.LiveCount}: records agree after {what} but the clusters seen do not: {wrong}\n{mesh.Describe()}");
        }
        return took;
    }
}
