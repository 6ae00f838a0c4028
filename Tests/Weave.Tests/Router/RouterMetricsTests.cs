using System.Net;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Api;
using Weave.Router.Clusters;
using Weave.Router.DataPlane;
using Weave.Tests.Router.Clusters;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>What <c>/metrics</c> exports from the mesh, IPAM, data-plane and crypto figures.</summary>
public sealed class RouterMetricsTests
{
    private static readonly PeerName s_self = new(0x5e1a00000001);
    private static readonly PeerName s_other = new(0x5e1a00000002);
    private static readonly PeerName s_gone = new(0x5e1a00000003);

    private static string Render(RouterInfo info, DataPlaneReport? dataPlane = null, ProcessStats? process = null, ClusterView? clusters = null)
    {
        var mesh = new MeshStatus(new PeerIdentity(s_self, "host1", 1),
        [
            new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "peer") { Encrypted = true },
            new ConnectionRow(false, "10.0.0.3:40000", ConnectionStates.Established, "peer"),
            new ConnectionRow(false, "10.0.0.5:40001", ConnectionStates.Established, "peer") { Overlay = "fastdp" },
            new ConnectionRow(false, "10.0.0.6:40002", ConnectionStates.Pending, "peer") { Overlay = "sleeve" },
            new ConnectionRow(true, "10.0.0.4:6783", ConnectionStates.Failed, "refused"),
        ],
        [new PeerRow("a", []), new PeerRow("b", []), new PeerRow("c", [])], []) { ConnectionTerminations = 7 };
        var ipam = new IpamStatus(Cidr.Parse("10.32.0.0/12"), Cidr.Parse("10.32.0.0/12"), "consensus", "ready", true,
        [
            new IpamPeerShare(s_self, "host1", 524288, 50, 0, true, true),
            new IpamPeerShare(s_other, "host2", 262144, 25, 0, true, false),
            new IpamPeerShare(s_gone, "host3", 262144, 25, 0, false, false),
        ], 524285, 3, 2, null, 0, []);
        return MetricsText.Render(RouterMetrics.From(info, mesh, ipam, dataPlane, process, clusters));
    }

    [Fact]
    public void From_Clusters_CountsEachClustersPeers_OursIncluded_AndSaysWhichAreRouted()
    {
        var clusters = new ClusterView(ClusterViewTests.Cluster("a", "10.32.0.0/12"), 3,
        [
            new ClusterSummary("b", IPNetwork.Parse("10.48.0.0/16"), 2, 1, null),
            new ClusterSummary("c", IPNetwork.Parse("10.49.0.0/16"), 1, 0, null),
            new ClusterSummary("d", IPNetwork.Parse("10.33.0.0/16"), 1, 1, "its range overlaps ours (10.32.0.0/12)"),
        ]);

        string text = Render(new RouterInfo("1.0.0", "1..1"), clusters: clusters);

        Assert.Contains("# TYPE weave_cluster_peers gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_cluster_peers{cluster=\"a\"} 3\nweave_cluster_peers{cluster=\"b\"} 2\nweave_cluster_peers{cluster=\"c\"} 1\nweave_cluster_peers{cluster=\"d\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_cluster_reachable_peers{cluster=\"b\"} 1\nweave_cluster_reachable_peers{cluster=\"c\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_cluster_routed{cluster=\"b\"} 1\nweave_cluster_routed{cluster=\"c\"} 0\nweave_cluster_routed{cluster=\"d\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_NoClusters_LeavesTheirFamiliesOut() =>
        Assert.DoesNotContain("weave_cluster_", Render(new RouterInfo("1.0.0", "1..1")), StringComparison.Ordinal);

    [Fact]
    public void From_Mesh_CountsConnectionsByStateAndEncryption_AndPeers()
    {
        string text = Render(new RouterInfo("1.0.0", "1..1"));

        Assert.Contains("weave_connections{state=\"established\",type=\"vxlan\",encryption=\"no\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"established\",type=\"sleeve\",encryption=\"yes\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"failed\",type=\"none\",encryption=\"no\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"pending\",type=\"vxlan\",encryption=\"no\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"established\",type=\"fastdp\",encryption=\"no\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"pending\",type=\"sleeve\",encryption=\"no\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"established\",type=\"sleeve\",encryption=\"no\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"pending\",type=\"sleeve\",encryption=\"yes\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_peers 3\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE weave_connection_terminations_total counter\nweave_connection_terminations_total 7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_Ipam_ExportsWeavesFigures()
    {
        string text = Render(new RouterInfo("1.0.0", "1..1"));

        Assert.Contains("weave_ips{state=\"local-used\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_ips{state=\"local-free\"} 524285\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_max_ips 1048576\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_ipam_unreachable_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_ipam_unreachable_percentage 25\n", text, StringComparison.Ordinal);
        Assert.Contains("weave_ipam_pending_requests 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_DataPlane_RendersEveryCounterGenerically()
    {
        var report = new DataPlaneReport([], 7, [("FramesFromBridge", 10), ("SomeCounterAddedLater", 4)]);

        string text = Render(new RouterInfo("1.0.0", "1..1"), report);

        Assert.Contains("# TYPE weave_dataplane_frames_from_bridge_total counter\nweave_dataplane_frames_from_bridge_total 10\n", text, StringComparison.Ordinal);
        Assert.Contains("\nweave_dataplane_some_counter_added_later_total 4\n", text, StringComparison.Ordinal);
        Assert.Contains("\nweave_dataplane_macs 7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_ControlCrypto_OnlyWithAPassword()
    {
        Assert.DoesNotContain("weave_crypto_control_", Render(new RouterInfo("1.0.0", "1..1")), StringComparison.Ordinal);

        string text = Render(new RouterInfo("1.0.0", "1..1") { ControlCrypto = new CryptoCounters() });

        Assert.Contains("# TYPE weave_crypto_control_authentication_failures_total counter\nweave_crypto_control_authentication_failures_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nweave_crypto_control_replays_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nweave_crypto_control_malformed_total 0\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("weave_crypto_data_", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_DataCrypto_OnlyWithAPassword()
    {
        Assert.DoesNotContain("weave_crypto_data_", Render(new RouterInfo("1.0.0", "1..1")), StringComparison.Ordinal);

        string text = Render(new RouterInfo("1.0.0", "1..1") { DataCrypto = new CryptoCounters() });

        Assert.Contains("# TYPE weave_crypto_data_authentication_failures_total counter\nweave_crypto_data_authentication_failures_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nweave_crypto_data_replays_total 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_Process_ExportsTheBasics_OrLeavesThemOut()
    {
        Assert.DoesNotContain("process_", Render(new RouterInfo("1.0.0", "1..1")), StringComparison.Ordinal);

        string text = Render(new RouterInfo("1.0.0", "1..1"), process: new ProcessStats(4096, 1.5, 1700000000.5));

        Assert.Contains("\nprocess_resident_memory_bytes 4096\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n", text, StringComparison.Ordinal);
        Assert.Contains("\nprocess_start_time_seconds 1700000000.5\n", text, StringComparison.Ordinal);
    }
}
