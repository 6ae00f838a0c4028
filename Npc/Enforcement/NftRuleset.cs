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
/// Use it for the first apply and to restore a table someone removed; later changes go through
/// <see cref="NftChanges"/>, which keeps the counters.
/// The inet family, not bridge: bridged frames reach it through br_netfilter, and only there is
/// conntrack (this kernel has no nf_conntrack_bridge).
/// </summary>
public static class NftRuleset
{
    public const string Family = "inet";
    public const string Table = "weave-npc";
    public const string Comment = "weave npc: NetworkPolicy enforcement for this node's pods";

    public static string Render(EnforcementPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var s = new StringBuilder();
        s.Append("add table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("delete table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("table ").Append(Family).Append(' ').Append(Table).Append(" {\n");
        s.Append("\tcomment ").Append(NftText.Quote(Comment)).Append('\n');
        foreach ((string _, string declaration) in NftText.Sets(plan))
        {
            s.Append(declaration);
        }
        if (plan.DropLog is { } log)
        {
            s.Append("\tlimit ").Append(DropLog.LimitName).Append(" {\n\t\trate ").Append(log.PerSecond)
                .Append("/second burst ").Append(2 * log.PerSecond).Append(" packets\n\t}\n");
        }
        foreach (PodChain chain in plan.Chains.Values)
        {
            NftText.AppendCounter(s, chain.Name);
            NftText.AppendChain(s, chain, plan.DropLog);
        }
        foreach (FlowDirection direction in NftText.Directions)
        {
            foreach (AddressFamily family in NftText.Families)
            {
                s.Append("\tmap ").Append(MapName(direction, family)).Append(" {\n\t\ttype ")
                    .Append(family == AddressFamily.InterNetwork ? "ipv4_addr" : "ipv6_addr").Append(" : verdict\n");
                string[] elements = [.. NftText.MapElements(plan, direction, family).Values.Select(e => NftText.MapElement(e.Address, e.Chain))];
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

    public static string MapName(FlowDirection direction, AddressFamily family) => NftText.MapName(direction, family);
}
