using System.Net.Sockets;
using System.Text;

namespace Weave.Npc.Enforcement;

/// <summary>
/// Writes an <see cref="EnforcementPlan"/> as the nft script that replaces table
/// <c>inet weave-npc</c> in one transaction (as the router's host rules do):
/// <code>
/// forward (hook forward, priority filter, policy accept)
///   ct state established,related accept       replies and known flows: no lookup at all
///   ct state invalid drop
///   ip saddr vmap @egress4 / ip6 saddr vmap @egress6     local isolated source: jump eg.ns.pod
///   ip daddr vmap @ingress4 / ip6 daddr vmap @ingress6   local isolated destination: jump in.ns.pod
/// eg.ns.pod: one rule per allowed match, "return" (on to the ingress check); counter, drop
/// in.ns.pod: one rule per allowed match, "accept"; counter, drop
/// </code>
/// The inet family, not bridge: bridged frames reach it through br_netfilter, and only there is
/// conntrack (this kernel has no nf_conntrack_bridge).
/// </summary>
public static class NftRuleset
{
    public const string Family = "inet";
    public const string Table = "weave-npc";
    public const string Comment = "weave npc: NetworkPolicy enforcement for this node's pods";

    /// <summary>nft refuses a comment longer than this (bytes).</summary>
    private const int MaxComment = 127;

    public static string Render(EnforcementPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var s = new StringBuilder();
        s.Append("add table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("delete table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("table ").Append(Family).Append(' ').Append(Table).Append(" {\n");
        s.Append("\tcomment ").Append(Quote(Comment)).Append('\n');
        foreach (AddressSet set in plan.AddressSets)
        {
            AppendSet(s, set.Name, set.NftType, interval: true, set.Intervals.Select(i => i.ToString()));
        }
        foreach (PortSet set in plan.PortSets)
        {
            AppendSet(s, set.Name, PortSet.NftType, interval: true, set.Intervals.Select(i => i.ToString()));
        }
        foreach (EndpointSet set in plan.EndpointSets)
        {
            AppendSet(s, set.Name, set.NftType, interval: false, set.Endpoints.Select(e => e.ToString()));
        }
        foreach (PodChain chain in plan.Chains.Values)
        {
            s.Append("\tcounter ").Append(chain.Name).Append(" {\n\t}\n");
            AppendChain(s, chain);
        }
        foreach (FlowDirection direction in (ReadOnlySpan<FlowDirection>)[FlowDirection.Egress, FlowDirection.Ingress])
        {
            var map = direction == FlowDirection.Egress ? plan.Egress : plan.Ingress;
            foreach (AddressFamily family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
            {
                s.Append("\tmap ").Append(MapName(direction, family)).Append(" {\n\t\ttype ")
                    .Append(family == AddressFamily.InterNetwork ? "ipv4_addr" : "ipv6_addr").Append(" : verdict\n");
                string[] elements = [.. map.Where(p => p.Key.AddressFamily == family)
                    .OrderBy(p => AddressInterval.ToNumber(p.Key))
                    .Select(p => $"{p.Key} : jump {p.Value.Name}")];
                if (elements.Length > 0)
                {
                    s.Append("\t\telements = { ").AppendJoin(",\n\t\t\t", elements).Append(" }\n");
                }
                s.Append("\t}\n");
            }
        }
        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
        s.Append("\t\tct state established,related accept\n");
        s.Append("\t\tct state invalid drop\n");
        s.Append("\t\tip saddr vmap @").Append(MapName(FlowDirection.Egress, AddressFamily.InterNetwork)).Append('\n');
        s.Append("\t\tip6 saddr vmap @").Append(MapName(FlowDirection.Egress, AddressFamily.InterNetworkV6)).Append('\n');
        s.Append("\t\tip daddr vmap @").Append(MapName(FlowDirection.Ingress, AddressFamily.InterNetwork)).Append('\n');
        s.Append("\t\tip6 daddr vmap @").Append(MapName(FlowDirection.Ingress, AddressFamily.InterNetworkV6)).Append('\n');
        s.Append("\t}\n");
        s.Append("}\n");
        return s.ToString();
    }

    public static string MapName(FlowDirection direction, AddressFamily family) =>
        (direction == FlowDirection.Egress ? "egress" : "ingress") + (family == AddressFamily.InterNetwork ? "4" : "6");

    private static void AppendSet(StringBuilder s, string name, string type, bool interval, IEnumerable<string> elements)
    {
        s.Append("\tset ").Append(name).Append(" {\n\t\ttype ").Append(type).Append('\n');
        if (interval)
        {
            s.Append("\t\tflags interval\n");
        }
        s.Append("\t\telements = { ").AppendJoin(",\n\t\t\t", elements).Append(" }\n\t}\n");
    }

    private static void AppendChain(StringBuilder s, PodChain chain)
    {
        string verdict = chain.Direction == FlowDirection.Egress ? "return" : "accept";
        s.Append("\tchain ").Append(chain.Name).Append(" {\n");
        foreach (ChainRule rule in chain.Rules)
        {
            s.Append("\t\t").Append(Match(rule, chain.Direction)).Append(verdict).Append(" comment ").Append(Quote(rule.Origin)).Append('\n');
        }
        string isolated = "isolated by " + string.Join(", ", chain.IsolatedBy);
        s.Append("\t\tcounter name ").Append(chain.Name).Append(" drop comment ").Append(Quote(isolated)).Append('\n');
        s.Append("\t}\n");
    }

    private static string Match(ChainRule rule, FlowDirection direction)
    {
        string ip = rule.Family == AddressFamily.InterNetworkV6 ? "ip6" : "ip";
        if (rule.Endpoints is not null)
        {
            return $"{ip} daddr . meta l4proto . th dport @{rule.Endpoints.Name} ";
        }
        var match = new StringBuilder();
        if (rule.Peers is not null)
        {
            match.Append(ip).Append(direction == FlowDirection.Egress ? " daddr @" : " saddr @").Append(rule.Peers.Name).Append(' ');
        }
        if (rule.Ports is not null)
        {
            match.Append("meta l4proto . th dport @").Append(rule.Ports.Name).Append(' ');
        }
        return match.ToString();
    }

    /// <summary>
    /// A comment in double quotes, cut to nft's limit (a name is never cut: it must match its
    /// declaration). Policy and pod names come from the API and our parser bounds only their
    /// length, so anything but printable ASCII, and the quote and backslash, becomes '?': no name
    /// can end the string, break the line or make nft refuse the whole transaction.
    /// </summary>
    private static string Quote(string text)
    {
        string clean = string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?';
            }
        });
        return "\"" + (Encoding.UTF8.GetByteCount(clean) > MaxComment ? clean[..Math.Min(clean.Length, MaxComment - 3)] + "..." : clean) + "\"";
    }
}
