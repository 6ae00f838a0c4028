using Weave.Gossip;
using Weave.Router.Api;
using Weave.Router.Clusters;
using Weave.Tests.Router.Clusters;
using Weave.Gossip.Mesh;
using Xunit;

namespace Weave.Tests.Router;

public sealed class StatusTextTests
{
    private static readonly PeerIdentity s_local = new(new PeerName(1), "a", 42);
    private static readonly RouterInfo s_router = new("0.1.0", "3..3") { Discovery = false };

    private static MeshStatus Status(ConnectionRow[]? connections = null, PeerRow[]? peers = null, string[]? targets = null) =>
        new(s_local, connections ?? [], peers ?? [], targets ?? []);

    [Fact]
    public void Summary_LabelsRightAlignedToColumn15()
    {
        MeshStatus status = Status(
            [
                new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "encrypted: no"),
                new ConnectionRow(true, "10.0.0.3:6783", ConnectionStates.Failed, "connection refused"),
                new ConnectionRow(false, "10.0.0.4:40000", ConnectionStates.Connecting, ""),
            ],
            [
                new PeerRow("00:00:00:00:00:01(a)", [new PeerLink(true, "10.0.0.2:6783", "00:00:00:00:00:02(b)", true)]),
                new PeerRow("00:00:00:00:00:02(b)", [new PeerLink(false, "10.0.0.1:40000", "00:00:00:00:00:01(a)", true)]),
            ],
            ["10.0.0.2:6783", "10.0.0.3:6783"]);

        string expected =
            "        Version: 0.1.0\n" +
            "\n" +
            "        Service: router\n" +
            "       Protocol: weave 3..3\n" +
            "           Name: 00:00:00:00:00:01(a)\n" +
            "     Encryption: disabled\n" +
            "  PeerDiscovery: disabled\n" +
            "        Targets: 2\n" +
            "    Connections: 3 (1 established, 1 failed)\n" +
            "          Peers: 2 (with 2 established connections)\n" +
            " TrustedSubnets: none\n";
        Assert.Equal(expected, StatusText.Summary(status, s_router));
    }

    [Fact]
    public void Summary_WithClusters_ShowsOursAfterTheName_AndTheOthersAtTheEnd()
    {
        var clusters = new ClusterView(ClusterViewTests.Cluster("a", "10.32.0.0/12"), 2,
        [
            new ClusterSummary("b", System.Net.IPNetwork.Parse("10.48.0.0/16"), 2, 2, null),
            new ClusterSummary("c", System.Net.IPNetwork.Parse("10.49.0.0/16"), 3, 1, null),
            new ClusterSummary("d", System.Net.IPNetwork.Parse("10.32.0.0/16"), 1, 1, "its range overlaps ours (10.32.0.0/12)"),
        ]);

        string summary = StatusText.Summary(Status(), s_router, clusters);

        Assert.Contains(
            "           Name: 00:00:00:00:00:01(a)\n" +
            "        Cluster: a (10.32.0.0/12), 2 peers\n" +
            "     Encryption: disabled\n", summary, StringComparison.Ordinal);
        Assert.EndsWith(
            " TrustedSubnets: none\n" +
            "  OtherClusters: b (10.48.0.0/16), 2 peers\n" +
            "                 c (10.49.0.0/16), 3 peers (1 reachable)\n" +
            "                 d (10.32.0.0/16), 1 peer, not peered: its range overlaps ours (10.32.0.0/12)\n", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_NoOtherCluster_SaysNone()
    {
        var clusters = new ClusterView(ClusterViewTests.Cluster("a", "10.32.0.0/12"), 1, []);
        string summary = StatusText.Summary(Status(), s_router, clusters);
        Assert.Contains("        Cluster: a (10.32.0.0/12), 1 peer\n", summary, StringComparison.Ordinal);
        Assert.EndsWith("  OtherClusters: none\n", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_DiscoveryOn_ShowsEnabled()
    {
        string summary = StatusText.Summary(Status(), s_router with { Discovery = true });
        Assert.Contains("  PeerDiscovery: enabled\n", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_NoFailures_OmitsFailedCount()
    {
        string summary = StatusText.Summary(Status(), s_router);
        Assert.Contains("    Connections: 0 (0 established)\n", summary, StringComparison.Ordinal);
        Assert.Contains("        Targets: 0\n", summary, StringComparison.Ordinal);
        Assert.All(summary.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Equal(':', line[15]));
    }

    [Fact]
    public void Connections_ColumnsPadded21And11()
    {
        MeshStatus status = Status(
        [
            new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "fastdp"),
            new ConnectionRow(false, "10.0.0.4:40000", ConnectionStates.Retrying, ""),
        ]);
        string expected =
            "-> 10.0.0.2:6783         established fastdp\n" +
            "<- 10.0.0.4:40000        retrying\n";
        Assert.Equal(expected, StatusText.Connections(status));
        string firstLine = StatusText.Connections(status).Split('\n')[0];
        Assert.Equal("established", firstLine.Substring(3 + 21 + 1, 11));
    }

    [Fact]
    public void Connections_WithMtu_EstablishedRowsEndWithWeavesMtuAttribute()
    {
        MeshStatus status = Status(
        [
            new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "5e:1a:00:00:00:02(b)"),
            new ConnectionRow(true, "10.0.0.9:6783", ConnectionStates.Failed, "connection refused, retry: 2s"),
        ]);
        string expected =
            "-> 10.0.0.2:6783         established 5e:1a:00:00:00:02(b) mtu=1444\n" +
            "-> 10.0.0.9:6783         failed      connection refused, retry: 2s\n";
        Assert.Equal(expected, StatusText.Connections(status, mtu: 1444));
    }

    [Fact]
    public void Report_WithMtu_HasItInTheRouterObject()
    {
        using var report = System.Text.Json.JsonDocument.Parse(ReportJson.Render(s_router with { Mtu = 8944 }, Status(), ipam: null));
        Assert.Equal(8944, report.RootElement.GetProperty("Router").GetProperty("MTU").GetInt32());
        using var without = System.Text.Json.JsonDocument.Parse(ReportJson.Render(s_router, Status(), ipam: null));
        Assert.False(without.RootElement.GetProperty("Router").TryGetProperty("MTU", out _));
    }

    [Fact]
    public void Report_WithClusters_HasOursTheOthersAndThePeeredRanges()
    {
        var clusters = new ClusterView(ClusterViewTests.Cluster("a", "10.32.0.0/12"), 2,
        [
            new ClusterSummary("b", System.Net.IPNetwork.Parse("10.48.0.0/16"), 2, 1, null),
            new ClusterSummary("d", System.Net.IPNetwork.Parse("10.32.0.0/16"), 1, 1, "its range overlaps ours (10.32.0.0/12)"),
        ]);

        using var report = System.Text.Json.JsonDocument.Parse(ReportJson.Render(s_router, Status(), ipam: null, clusters: clusters));

        System.Text.Json.JsonElement json = report.RootElement.GetProperty("Clusters");
        Assert.Equal("a", json.GetProperty("Ours").GetProperty("Name").GetString());
        Assert.Equal("10.32.0.0/12", json.GetProperty("Ours").GetProperty("Range").GetString());
        Assert.Equal(2, json.GetProperty("Ours").GetProperty("Peers").GetInt32());
        System.Text.Json.JsonElement[] others = [.. json.GetProperty("Others").EnumerateArray()];
        Assert.Equal(["b", "d"], others.Select(o => o.GetProperty("Name").GetString()));
        Assert.True(others[0].GetProperty("Routed").GetBoolean());
        Assert.Equal(1, others[0].GetProperty("Reachable").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, others[0].GetProperty("NotPeered").ValueKind);
        Assert.False(others[1].GetProperty("Routed").GetBoolean());
        Assert.Equal(["10.48.0.0/16"], json.GetProperty("PeeredRanges").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public void Peers_NameTheirClusterAfterTheNickname_WhenTheirRecordHasOne()
    {
        MeshStatus status = Status(peers:
        [
            new PeerRow("00:00:00:00:00:01(a)", [new PeerLink(true, "10.0.0.2:6783", "00:00:00:00:00:02(b)", true)]) { Cluster = ClusterViewTests.Cluster("east", "10.32.0.0/12") },
            new PeerRow("00:00:00:00:00:02(b)", []) { Cluster = ClusterViewTests.Cluster("west", "10.48.0.0/16") },
            new PeerRow("00:00:00:00:00:03(c)", []),
        ]);

        Assert.Equal(
            "00:00:00:00:00:01(a) cluster east\n" +
            "   -> 10.0.0.2:6783         00:00:00:00:00:02(b)                  established\n" +
            "00:00:00:00:00:02(b) cluster west\n" +
            "00:00:00:00:00:03(c)\n", StatusText.Peers(status));
    }

    [Fact]
    public void Connections_None_IsEmpty()
    {
        Assert.Equal("", StatusText.Connections(Status()));
    }

    [Fact]
    public void Peers_LinksIndentedWithColumnsPadded21And37()
    {
        MeshStatus status = Status(peers:
        [
            new PeerRow("00:00:00:00:00:01(a)",
            [
                new PeerLink(true, "10.0.0.2:6783", "00:00:00:00:00:02(b)", true),
                new PeerLink(false, "10.0.0.3:41000", "00:00:00:00:00:03(c)", false),
            ]),
            new PeerRow("00:00:00:00:00:02(b)", []),
        ]);
        string expected =
            "00:00:00:00:00:01(a)\n" +
            "   -> 10.0.0.2:6783         00:00:00:00:00:02(b)                  established\n" +
            "   <- 10.0.0.3:41000        00:00:00:00:00:03(c)                  pending\n" +
            "00:00:00:00:00:02(b)\n";
        Assert.Equal(expected, StatusText.Peers(status));
        string link = StatusText.Peers(status).Split('\n')[1];
        Assert.Equal("00:00:00:00:00:02(b)".PadRight(37), link.Substring(3 + 3 + 21 + 1, 37));
    }

    [Fact]
    public void Targets_OnePerLine()
    {
        Assert.Equal("10.0.0.2:6783\nhost-b:6783\n", StatusText.Targets(Status(targets: ["10.0.0.2:6783", "host-b:6783"])));
    }
}

/// <summary>The encryption parts of the status layouts.</summary>
public sealed class StatusTextEncryptionTests
{
    private static readonly PeerIdentity s_local = new(new PeerName(1), "a", 42);

    [Fact]
    public void Summary_WithPassword_SaysEnabled_AndListsTrustedSubnets()
    {
        var router = new RouterInfo("0.1.0", "3..3") { Encryption = true, TrustedSubnets = [System.Net.IPNetwork.Parse("10.0.0.0/8")] };
        string text = StatusText.Summary(new MeshStatus(s_local, [], [], []), router);
        Assert.Contains("     Encryption: enabled\n", text, StringComparison.Ordinal);
        Assert.Contains(" TrustedSubnets: 10.0.0.0/8\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_WithOverlays_EstablishedRowsSayItPaddedTo6_AndWhyNotFastdp()
    {
        var status = new MeshStatus(s_local,
            [
                new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "00:00:00:00:00:02(b)") { Overlay = "fastdp" },
                new ConnectionRow(false, "10.0.0.3:41000", ConnectionStates.Established, "00:00:00:00:00:03(c)")
                {
                    Overlay = "sleeve", NotFastReason = "it runs without the fast path, or on another data port",
                },
                new ConnectionRow(true, "10.0.0.4:6783", ConnectionStates.Established, "00:00:00:00:00:04(d)") { Overlay = "vxlan", Encrypted = true },
                new ConnectionRow(true, "10.0.0.5:6783", ConnectionStates.Pending, "00:00:00:00:00:05(e), waiting") { Overlay = "sleeve" },
            ], [], []);
        Assert.Equal(
            "-> 10.0.0.2:6783         established fastdp 00:00:00:00:00:02(b) mtu=1444\n" +
            "<- 10.0.0.3:41000        established sleeve 00:00:00:00:00:03(c) mtu=1444 (not fastdp: it runs without the fast path, or on another data port)\n" +
            "-> 10.0.0.4:6783         established vxlan  00:00:00:00:00:04(d) mtu=1444\n" +
            "-> 10.0.0.5:6783         pending     00:00:00:00:00:05(e), waiting\n",
            StatusText.Connections(status, mtu: 1444));
        Assert.StartsWith("-> 10.0.0.2:6783         established unencrypted fastdp 00:00:00:00:00:02(b)", StatusText.Connections(status, encryption: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_WithPassword_MarkEstablishedRowsEncryptedOrNot()
    {
        var status = new MeshStatus(s_local,
            [
                new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "00:00:00:00:00:02(b)") { Encrypted = true },
                new ConnectionRow(false, "10.0.0.3:41000", ConnectionStates.Established, "00:00:00:00:00:03(c)"),
                new ConnectionRow(true, "10.0.0.9:6783", ConnectionStates.Failed, "authentication failed"),
            ], [], []);
        Assert.Equal(
            "-> 10.0.0.2:6783         established encrypted   00:00:00:00:00:02(b)\n" +
            "<- 10.0.0.3:41000        established unencrypted 00:00:00:00:00:03(c)\n" +
            "-> 10.0.0.9:6783         failed      authentication failed\n",
            StatusText.Connections(status, encryption: true));
        Assert.DoesNotContain("encrypted", StatusText.Connections(status, encryption: false).Replace("authentication", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
