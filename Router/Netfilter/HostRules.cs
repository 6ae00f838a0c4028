using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.Ipam;

namespace Weave.Router.Netfilter;

/// <summary>
/// The host's netfilter for the pod network, as nftables table <c>ip weave</c>: written whole and
/// replaced whole in one transaction, so it is never half there and nothing outside it is touched.
/// <list type="bullet">
/// <item>postrouting (nat): pods' traffic leaving the range is masqueraded to the node's address,
/// so the outside world can answer it; traffic from outside the range into it is masqueraded to
/// the bridge's address, so replies come back through this node; with no-masq-local, traffic to
/// this node's own ranges keeps its source (a Service with externalTrafficPolicy Local sees the
/// client). Multicast from pods is left alone, and so is traffic between our pods and a peered
/// cluster's (set <c>peered_ranges</c>): pods of two clusters see each other's addresses, and
/// the replies of a masqueraded packet would come back to a node that never sent it.</item>
/// <item>input: pods may not reach this node's mesh and API ports (TCP and UDP port and port+1),
/// and nothing from outside the machine may reach the API on a loopback address (kube-proxy
/// turns on route_localnet).</item>
/// <item>forward: pods may not reach other machines' mesh ports (without a password, a pod could
/// otherwise pose as a peer); pods of peered clusters are not machines, so they are exempt.</item>
/// </list>
/// </summary>
public sealed record HostRules(Cidr Range, string Bridge, int MeshPort, int ApiPort, bool NoMasqLocal)
{
    public const string Family = "ip";
    public const string Table = "weave";

    /// <summary>The comment on the table: says who owns it, for an operator listing the ruleset.</summary>
    public const string Comment = "weave router: pod network masquerade and port protection; removed by weave reset";

    /// <summary>
    /// The script that replaces the table with the one wanted: creating it first makes the delete
    /// valid when it does not exist yet, and nft applies the whole script as one transaction.
    /// </summary>
    /// <param name="localRanges">This node's parts of the range, first–last.</param>
    /// <param name="peeredRanges">The ranges of the clusters we peer with (<c>ClusterView.PeeredRanges</c>); none when null.</param>
    public string Render(IReadOnlyList<(IPAddress First, IPAddress Last)> localRanges, IReadOnlyList<IPNetwork>? peeredRanges = null)
    {
        ArgumentNullException.ThrowIfNull(localRanges);
        IReadOnlyList<IPNetwork> peered = Outermost(peeredRanges ?? []);
        string range = Range.ToString();
        string ports = string.Create(CultureInfo.InvariantCulture, $"{MeshPort}-{MeshPort + 1}");
        string api = ApiPort.ToString(CultureInfo.InvariantCulture);
        var s = new StringBuilder();
        s.Append("add table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("delete table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("table ").Append(Family).Append(' ').Append(Table).Append(" {\n");
        s.Append("\tcomment \"").Append(Comment).Append("\"\n");
        s.Append("\tset local_ranges {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
        if (localRanges.Count > 0)
        {
            s.Append("\t\telements = { ").AppendJoin(", ", localRanges.Select(r => r.First.Equals(r.Last) ? $"{r.First}" : $"{r.First}-{r.Last}")).Append(" }\n");
        }
        s.Append("\t}\n");
        s.Append("\tset peered_ranges {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
        if (peered.Count > 0)
        {
            s.Append("\t\telements = { ").AppendJoin(", ", peered).Append(" }\n");
        }
        s.Append("\t}\n");
        s.Append("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        s.Append("\t\tip saddr ").Append(range).Append(" ip daddr 224.0.0.0/4 return\n");
        s.Append("\t\tip saddr ").Append(range).Append(" ip daddr @peered_ranges return\n");
        s.Append("\t\tip saddr @peered_ranges ip daddr ").Append(range).Append(" return\n");
        if (NoMasqLocal)
        {
            s.Append("\t\tip saddr != ").Append(range).Append(" ip daddr @local_ranges return\n");
        }
        s.Append("\t\tip saddr != ").Append(range).Append(" ip daddr ").Append(range).Append(" masquerade\n");
        s.Append("\t\tip saddr ").Append(range).Append(" ip daddr != ").Append(range).Append(" masquerade\n");
        s.Append("\t}\n");
        s.Append("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
        s.Append("\t\tiifname \"").Append(Bridge).Append("\" meta l4proto { tcp, udp } th dport ").Append(ports).Append(" drop\n");
        s.Append("\t\tiifname \"").Append(Bridge).Append("\" tcp dport ").Append(api).Append(" drop\n");
        s.Append("\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport ").Append(api).Append(" drop\n");
        s.Append("\t}\n");
        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
        s.Append("\t\tiifname \"").Append(Bridge).Append("\" ip daddr != ").Append(range).Append(" ip daddr != @peered_ranges meta l4proto { tcp, udp } th dport ").Append(ports).Append(" drop\n");
        s.Append("\t}\n");
        s.Append("}\n");
        return s.ToString();
    }

    /// <summary>
    /// The IPv4 ranges (the table is <c>ip</c>) with those inside another left out: nft refuses
    /// overlapping elements in an interval set, and two peered clusters may overlap each other
    /// (each is checked against ours only). CIDR blocks nest or are apart, so what is left is apart.
    /// </summary>
    private static IReadOnlyList<IPNetwork> Outermost(IReadOnlyList<IPNetwork> ranges)
    {
        IPNetwork[] v4 = [.. ranges.Where(r => r.BaseAddress.AddressFamily == AddressFamily.InterNetwork).Distinct()];
        return [.. v4.Where(r => !v4.Any(o => o != r && o.PrefixLength <= r.PrefixLength && o.Contains(r.BaseAddress)))];
    }
}
