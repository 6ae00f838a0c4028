using System.Globalization;
using System.Net;
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
/// client). Multicast from pods is left alone.</item>
/// <item>input: pods may not reach this node's mesh and API ports (TCP and UDP port and port+1),
/// and nothing from outside the machine may reach the API on a loopback address (kube-proxy
/// turns on route_localnet).</item>
/// <item>forward: pods may not reach other machines' mesh ports (without a password, a pod could
/// otherwise pose as a peer).</item>
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
    public string Render(IReadOnlyList<(IPAddress First, IPAddress Last)> localRanges)
    {
        ArgumentNullException.ThrowIfNull(localRanges);
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
        s.Append("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        s.Append("\t\tip saddr ").Append(range).Append(" ip daddr 224.0.0.0/4 return\n");
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
        s.Append("\t\tiifname \"").Append(Bridge).Append("\" ip daddr != ").Append(range).Append(" meta l4proto { tcp, udp } th dport ").Append(ports).Append(" drop\n");
        s.Append("\t}\n");
        s.Append("}\n");
        return s.ToString();
    }
}
