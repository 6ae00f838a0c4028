using System.Globalization;
using System.Text;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Clusters;

namespace Weave.Router.Api;

/// <summary>
/// Weave Net's status layouts (labels right-aligned to column 15, fixed-width connection
/// columns), so operators' eyes and scripts keep working.
/// </summary>
public static class StatusText
{
    /// <param name="clusters">Our cluster and the others the topology shows; their lines are left out when null.</param>
    public static string Summary(MeshStatus status, RouterInfo router, ClusterView? clusters = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(router);
        int connections = status.Connections.Count;
        int established = status.EstablishedCount;
        int failed = status.Connections.Count(c => c.State == ConnectionStates.Failed);
        int pending = status.Connections.Count(c => c.State == ConnectionStates.Pending);
        string connectionDetail = $"{established} established"
            + (pending > 0 ? $", {pending} pending" : "")
            + (failed > 0 ? $", {failed} failed" : "");
        var text = new StringBuilder();
        Line(text, "Version", router.Version);
        text.Append('\n');
        Line(text, "Service", "router");
        Line(text, "Protocol", $"weave {router.ProtocolRange}");
        Line(text, "Name", status.Local.Display);
        if (clusters is not null)
        {
            Line(text, "Cluster", $"{clusters.Ours.Display}, {Count(clusters.OurPeers, "peer")}");
        }
        Line(text, "Encryption", router.Encryption ? "enabled" : "disabled");
        Line(text, "PeerDiscovery", router.Discovery ? "enabled" : "disabled");
        Line(text, "Targets", status.Targets.Count.ToString());
        Line(text, "Connections", $"{connections} ({connectionDetail})");
        int peerLinks = status.Peers.Sum(p => p.Links.Count(l => l.Established));
        Line(text, "Peers", $"{status.Peers.Count} (with {peerLinks} established connections)");
        Line(text, "TrustedSubnets", router.TrustedSubnets.Count == 0 ? "none" : string.Join(',', router.TrustedSubnets));
        if (clusters is not null)
        {
            OtherClusters(text, clusters);
        }
        return text.ToString();
    }

    /// <summary>
    /// <c>OtherClusters:</c> one cluster per line, continued under the first: its range, its
    /// routers (how many reachable, when not all), and why it is not peered when it is not.
    /// </summary>
    private static void OtherClusters(StringBuilder text, ClusterView clusters)
    {
        if (clusters.Others.Count == 0)
        {
            Line(text, "OtherClusters", "none");
            return;
        }
        for (int i = 0; i < clusters.Others.Count; i++)
        {
            ClusterSummary c = clusters.Others[i];
            string line = $"{c.Display}, {Count(c.Peers, "peer")}"
                + (c.Reachable < c.Peers ? $" ({c.Reachable} reachable)" : "")
                + (c.NotPeered is { } why ? $", not peered: {why}" : "");
            text.Append(i == 0 ? $"{"OtherClusters",15}: " : new string(' ', 17)).Append(line).Append('\n');
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>The IPAM section of <c>weave status</c>, after the router's.</summary>
    public static string IpamSummary(IpamStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder("\n");
        Line(text, "Service", "ipam");
        Line(text, "Status", status.State);
        Line(text, "Range", status.Range.ToString());
        Line(text, "DefaultSubnet", status.DefaultSubnet.ToString());
        if (status.Conflict is not null)
        {
            Line(text, "Conflict", status.Conflict);
        }
        return text.ToString();
    }

    /// <summary>
    /// <c>weave status ipam</c>: each owner as <c>name(nick)</c> padded to 37, its addresses
    /// 8 wide and its share; ours first with the addresses in use, unreachable ones marked.
    /// </summary>
    public static string IpamShares(IpamStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        if (status.Peers.Count == 0)
        {
            text.Append(status.State).Append('\n');
        }
        foreach (IpamPeerShare share in status.Peers.OrderByDescending(p => p.IsSelf))
        {
            string name = string.IsNullOrEmpty(share.NickName) ? share.Name.ToString() : $"{share.Name}({share.NickName})";
            text.Append(CultureInfo.InvariantCulture, $"{name,-37}{share.Owned,8} IPs ({share.Percent:0.0}% of total)");
            if (share.IsSelf)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({status.Allocated} active)");
            }
            else if (!share.Reachable)
            {
                text.Append(" - unreachable!");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// <c>weave status connections</c>: direction, address padded to 21, state padded to 11, then
    /// the info; with a password, established rows start their info with <c>encrypted</c> or
    /// <c>unencrypted</c> padded to 11, as Weave's did, then the overlay padded to 6 (<c>fastdp</c>,
    /// <c>vxlan</c>, <c>sleeve</c>), as Weave's did; established rows end with Weave's forwarder
    /// attribute <c>mtu=N</c> when <paramref name="mtu"/> is known (every connection's frames are
    /// held to the one overlay MTU), and, on a fast-path router, with why a row is not on it.
    /// </summary>
    public static string Connections(MeshStatus status, int? mtu = null, bool encryption = false)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        foreach (ConnectionRow row in status.Connections)
        {
            bool established = row.State == ConnectionStates.Established;
            string attributes = mtu is int value && established ? $" mtu={value}" : "";
            if (established && row.NotFastReason is { } reason)
            {
                attributes += $" (not fastdp: {reason})";
            }
            string info = established && row.Overlay is { } overlay ? $"{overlay,-6} {row.Info}" : row.Info;
            if (encryption && established)
            {
                info = $"{(row.Encrypted ? "encrypted" : "unencrypted"),-11} {info}";
            }
            text.Append($"{Direction(row.Outbound)} {row.Address,-21} {row.State,-11} {info}{attributes}".TrimEnd()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// <c>weave status peers</c>: each peer as <c>name(nick)</c>, then its cluster when its record
    /// names one (<c>cluster a</c>, after the nickname, where Weave's line ended: the name and its
    /// links keep their place), then its links indented, columns padded to 21 and 37.
    /// </summary>
    public static string Peers(MeshStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        foreach (PeerRow peer in status.Peers)
        {
            text.Append(peer.Peer);
            if (peer.Cluster is { } cluster)
            {
                text.Append(" cluster ").Append(cluster.Name);
            }
            text.Append('\n');
            foreach (PeerLink link in peer.Links)
            {
                string state = link.Established ? "established" : "pending";
                text.Append($"   {Direction(link.Outbound)} {link.Address,-21} {link.Peer,-37} {state}\n");
            }
        }
        return text.ToString();
    }

    public static string Targets(MeshStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return string.Concat(status.Targets.Select(t => t + "\n"));
    }

    private static string Direction(bool outbound) => outbound ? "->" : "<-";

    private static void Line(StringBuilder text, string label, string value) =>
        text.Append($"{label,15}: {value}\n");
}

/// <summary>Facts about this router shown in status, and what the API needs to read its input.</summary>
public sealed record RouterInfo(string Version, string ProtocolRange)
{
    /// <summary>The mesh's TCP port (<c>--port</c>): <c>POST /connect</c> and <c>/forget</c> give it to peers named without one.</summary>
    public int MeshPort { get; init; } = 6783;

    /// <summary>Peer discovery is on (no <c>--no-discovery</c>); shown as <c>PeerDiscovery</c>.</summary>
    public bool Discovery { get; init; } = true;

    /// <summary>The overlay MTU the router runs with, once chosen: shown as <c>mtu=N</c> on established
    /// connections (Weave's forwarder attribute) and in the report.</summary>
    public int? Mtu { get; init; }

    /// <summary>A password is set: shown as <c>Encryption: enabled</c>.</summary>
    public bool Encryption { get; init; }

    /// <summary><c>--trusted-subnets</c>, shown as <c>TrustedSubnets</c>.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedSubnets { get; init; } = [];

    /// <summary>What the control plane's record layers dropped; null without a password.</summary>
    public Weave.Crypto.CryptoCounters? ControlCrypto { get; init; }

    /// <summary>What the data plane's openers dropped (sealed sleeve datagrams); null without a password.</summary>
    public Weave.Crypto.CryptoCounters? DataCrypto { get; init; }
}
