using Weave.Crypto;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Clusters;
using Weave.Router.DataPlane;

namespace Weave.Router.Api;

/// <summary>
/// What <c>/metrics</c> exports, as metric families: Weave Net's names where we have the same
/// figure, ours for the data plane and crypto. Counters are taken generically from the snapshots
/// (a counter added there appears here without a change); a figure we cannot compute is left out.
/// </summary>
public static class RouterMetrics
{
    private static readonly string[] s_connectionStates =
    [
        ConnectionStates.Established, ConnectionStates.Pending, ConnectionStates.Connecting,
        ConnectionStates.Retrying, ConnectionStates.Failed,
    ];

    /// <param name="clusters">Our cluster and the others; the per-cluster families are left out when null.</param>
    public static IEnumerable<MetricFamily> From(RouterInfo info, MeshStatus mesh, IpamStatus ipam, DataPlaneReport? dataPlane, ProcessStats? process,
        ClusterView? clusters = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(ipam);
        yield return Connections(mesh);
        yield return MetricFamily.Counter("weave_connection_terminations_total", "Number of peer-to-peer connections terminated.", mesh.ConnectionTerminations);
        yield return MetricFamily.Gauge("weave_peers", "Number of peers in the mesh, ourselves included.", mesh.Peers.Count);
        if (clusters is not null)
        {
            foreach (MetricFamily family in Clusters(clusters))
            {
                yield return family;
            }
        }
        foreach (MetricFamily family in Ipam(ipam))
        {
            yield return family;
        }
        if (dataPlane is not null)
        {
            yield return MetricFamily.Gauge("weave_dataplane_macs", "MAC addresses known behind other peers.", dataPlane.Macs);
            foreach (MetricFamily family in Counters("weave_dataplane_", dataPlane.Counters, "Data-plane counter"))
            {
                yield return family;
            }
        }
        if (info.ControlCrypto is { } control)
        {
            foreach (MetricFamily family in Crypto("control", control))
            {
                yield return family;
            }
        }
        if (info.DataCrypto is { } data)
        {
            foreach (MetricFamily family in Crypto("data", data))
            {
                yield return family;
            }
        }
        if (process is not null)
        {
            yield return MetricFamily.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.ResidentBytes);
            yield return MetricFamily.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", process.CpuSeconds);
            yield return MetricFamily.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", process.StartTimeSeconds);
        }
    }

    /// <summary>
    /// Every state and both encryption values, zeros included, so a series does not vanish when
    /// its last connection goes; each with Weave's <c>type</c> label: how our data goes straight to
    /// that peer, its overlay in <c>weave status connections</c>. A connected peer
    /// (<c>established</c>, or <c>pending</c> while its UDP path is checked) gets <c>fastdp</c>
    /// while the kernels carry its pods' frames, <c>vxlan</c> when our routers exchange VXLAN, and
    /// <c>sleeve</c> otherwise (always when the data is sealed: there is no sealed VXLAN). Weave's
    /// dashboards and alerts group by it. A peer not connected has no data path: <c>none</c>.
    /// </summary>
    private static MetricFamily Connections(MeshStatus mesh)
    {
        var samples = new List<MetricSample>();
        foreach (string state in s_connectionStates)
        {
            bool connected = state is ConnectionStates.Established or ConnectionStates.Pending;
            (string Type, bool Encrypted)[] series = connected
                ? [("fastdp", false), ("vxlan", false), ("sleeve", false), ("sleeve", true)]
                : [("none", false), ("none", true)];
            foreach ((string type, bool encrypted) in series)
            {
                int count = mesh.Connections.Count(c => c.State == state && c.Encrypted == encrypted && (!connected || TypeOf(c) == type));
                samples.Add(new MetricSample([("state", state), ("type", type), ("encryption", encrypted ? "yes" : "no")], count));
            }
        }
        return new MetricFamily("weave_connections", "Number of peer-to-peer connections.", "gauge", samples);
    }

    /// <summary>A connection's overlay; without the data plane's word, what its sealing implies.</summary>
    private static string TypeOf(ConnectionRow row) => row.Overlay ?? (row.Encrypted ? "sleeve" : "vxlan");

    /// <summary>
    /// Per cluster, labelled by name (ours too, so a dashboard sums the mesh): its routers in our
    /// topology, those reachable now, and whether its range is routed here. A cluster whose routers
    /// all left the topology drops out; Prometheus marks its series stale.
    /// </summary>
    private static IEnumerable<MetricFamily> Clusters(ClusterView clusters)
    {
        // Two entries of one name (a cluster whose routers disagree on the range) add up under it.
        var others = clusters.Others.GroupBy(c => c.Name, StringComparer.Ordinal).ToList();
        yield return new MetricFamily("weave_cluster_peers", "Number of peers of each cluster in the mesh (ours includes ourselves).", "gauge",
            [new MetricSample([("cluster", clusters.Ours.Name)], clusters.OurPeers), .. others.Select(g => new MetricSample([("cluster", g.Key)], g.Sum(c => c.Peers)))]);
        yield return new MetricFamily("weave_cluster_reachable_peers", "Number of peers of each other cluster that a data route leads to now.", "gauge",
            [.. others.Select(g => new MetricSample([("cluster", g.Key)], g.Sum(c => c.Reachable)))]);
        yield return new MetricFamily("weave_cluster_routed", "1 when pods here reach the other cluster's pods (peered, a range, a reachable router), else 0.", "gauge",
            [.. others.Select(g => new MetricSample([("cluster", g.Key)], g.Any(c => c.Routed) ? 1 : 0))]);
    }

    private static IEnumerable<MetricFamily> Ipam(IpamStatus ipam)
    {
        yield return new MetricFamily("weave_ips", "Number of IP addresses.", "gauge",
        [
            new MetricSample([("state", "local-used")], ipam.Allocated),
            new MetricSample([("state", "local-free")], ipam.Free),
        ]);
        yield return MetricFamily.Gauge("weave_max_ips", "Size of IP address space used by allocator.", ipam.Range.Size);
        List<IpamPeerShare> unreachable = [.. ipam.Peers.Where(p => !p.Reachable)];
        yield return MetricFamily.Gauge("weave_ipam_unreachable_count", "Number of unreachable peers.", unreachable.Count);
        yield return MetricFamily.Gauge("weave_ipam_unreachable_percentage", "Percentage of IP addresses owned by unreachable peers.", unreachable.Sum(p => p.Percent));
        yield return MetricFamily.Gauge("weave_ipam_pending_requests", "Allocations and claims waiting for space or a ring (Weave counted them apart).", ipam.PendingRequests);
    }

    private static IEnumerable<MetricFamily> Crypto(string plane, CryptoCounters counters) =>
        Counters($"weave_crypto_{plane}_", counters.Snapshot(), $"Records the {plane} plane's crypto dropped:");

    private static IEnumerable<MetricFamily> Counters(string prefix, IEnumerable<(string Name, long Value)> counters, string help) =>
        counters.Select(c => MetricFamily.Counter($"{prefix}{MetricsText.SnakeCase(c.Name)}_total", $"{help} {c.Name}.", c.Value));
}
