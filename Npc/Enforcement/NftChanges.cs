using System.Net.Sockets;
using System.Text;

namespace Weave.Npc.Enforcement;

/// <summary>
/// The nft script that turns the table rendered from one plan into exactly the table rendered
/// from the next, touching only what differs, as one transaction (<c>nft -f -</c>). Replacing the
/// whole table would also work, but it resets every pod's drop counter and rebuilds what did not
/// change. The steps come in the order nft needs within one transaction, where an object must
/// exist when something refers to it and be unreferenced when it is deleted:
/// <code>
/// 1. delete the map elements that went or now jump elsewhere   chains lose their references
/// 2. flush the chains that changed or went, delete those that went
///                                                              sets and counters lose theirs
/// 3. add the new sets and counters, then the new chains and the changed chains' rules
/// 4. add the new and changed map elements                      their chains exist now
/// 5. delete the counters and sets no longer used
/// </code>
/// Sets are named by content, so a set that changed is a new name and is never altered in place.
/// A chain and its counter are named by pod and direction, so a counter lives as long as its pod
/// stays isolated in that direction. The forward chain and the maps' declarations never change.
/// </summary>
public static class NftChanges
{
    private const string TableRef = NftRuleset.Family + " " + NftRuleset.Table;

    /// <summary>The script from <paramref name="applied"/> to <paramref name="wanted"/>; empty when they render the same table.</summary>
    public static string Render(EnforcementPlan applied, EnforcementPlan wanted)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(wanted);
        if (applied.DropLog != wanted.DropLog)
        {
            return NftRuleset.Render(wanted); // every chain's last rules and the limit change: the whole table it is
        }
        var s = new StringBuilder();
        var changedChains = new List<PodChain>();
        foreach (PodChain chain in wanted.Chains.Values)
        {
            if (applied.Chains.TryGetValue(chain.Name, out PodChain? old) && !NftText.Rules(old, applied.DropLog).AsSpan().SequenceEqual(NftText.Rules(chain, wanted.DropLog)))
            {
                changedChains.Add(chain);
            }
        }
        PodChain[] goneChains = [.. applied.Chains.Values.Where(c => !wanted.Chains.ContainsKey(c.Name))];
        PodChain[] newChains = [.. wanted.Chains.Values.Where(c => !applied.Chains.ContainsKey(c.Name))];
        var appliedSets = NftText.Sets(applied).ToDictionary(set => set.Name, set => set.Declaration, StringComparer.Ordinal);
        var wantedSets = NftText.Sets(wanted).ToDictionary(set => set.Name, set => set.Declaration, StringComparer.Ordinal);

        AppendMapElements(s, "delete", applied, wanted, withVerdict: false);
        foreach (PodChain chain in changedChains.Concat(goneChains))
        {
            s.Append("flush chain ").Append(TableRef).Append(' ').Append(chain.Name).Append('\n');
        }
        foreach (PodChain chain in goneChains)
        {
            s.Append("delete chain ").Append(TableRef).Append(' ').Append(chain.Name).Append('\n');
        }

        var added = new StringBuilder();
        foreach ((string name, string declaration) in wantedSets)
        {
            if (!appliedSets.ContainsKey(name))
            {
                added.Append(declaration);
            }
        }
        foreach (PodChain chain in newChains)
        {
            NftText.AppendCounter(added, chain.Name);
        }
        foreach (PodChain chain in newChains.Concat(changedChains))
        {
            NftText.AppendChain(added, chain, wanted.DropLog);
        }
        if (added.Length > 0)
        {
            s.Append("table ").Append(TableRef).Append(" {\n").Append(added).Append("}\n");
        }
        AppendMapElements(s, "add", wanted, applied, withVerdict: true);

        foreach (PodChain chain in goneChains)
        {
            s.Append("delete counter ").Append(TableRef).Append(' ').Append(chain.Name).Append('\n');
        }
        foreach (string name in appliedSets.Keys)
        {
            if (!wantedSets.ContainsKey(name))
            {
                s.Append("delete set ").Append(TableRef).Append(' ').Append(name).Append('\n');
            }
        }
        return s.ToString();
    }

    /// <summary>
    /// One <c>add element</c> or <c>delete element</c> per map, for the elements of
    /// <paramref name="from"/> that <paramref name="other"/> lacks or maps to another chain.
    /// </summary>
    private static void AppendMapElements(StringBuilder s, string verb, EnforcementPlan from, EnforcementPlan other, bool withVerdict)
    {
        foreach (FlowDirection direction in NftText.Directions)
        {
            foreach (AddressFamily family in NftText.Families)
            {
                var others = NftText.MapElements(other, direction, family);
                string[] elements = [.. NftText.MapElements(from, direction, family)
                    .Where(e => !others.TryGetValue(e.Key, out var o) || o.Chain != e.Value.Chain)
                    .Select(e => withVerdict ? NftText.MapElement(e.Value.Address, e.Value.Chain) : e.Value.Address.ToString())];
                if (elements.Length > 0)
                {
                    s.Append(verb).Append(" element ").Append(TableRef).Append(' ').Append(NftText.MapName(direction, family))
                        .Append(" { ").AppendJoin(", ", elements).Append(" }\n");
                }
            }
        }
    }
}
