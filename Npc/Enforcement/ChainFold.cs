using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Weave.Npc.Enforcement;

/// <summary>
/// A pod's chain folded, per family, into at most two set lookups, whatever the number of its
/// rules: the peers allowed every protocol and port (an address set), and the rest as disjoint
/// (peer . protocol . port) boxes in one concatenated interval set. So the first packet of a new
/// flow costs the same with one policy selecting the pod as with five hundred. The boxes must be
/// disjoint: nft's concatenated interval sets refuse overlapping elements. Both sets are named by
/// content, so equal chains share them. <see cref="ChainRule"/>s stay the plan's account of why
/// (explain, comments, <see cref="EnforcementPlan.Decide"/>); this is only how the kernel checks.
/// </summary>
public sealed record ChainFold(AddressFamily Family, AddressSet? AnyTraffic, FoldedSet? Ports)
{
    private static readonly ConditionalWeakTable<PodChain, ChainFold[]> s_folds = [];

    /// <summary>The chain's fold for IPv4 and for IPv6 (computed once per chain object).</summary>
    public static ChainFold[] Of(PodChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return s_folds.GetValue(chain, c => [Fold(c, AddressFamily.InterNetwork), Fold(c, AddressFamily.InterNetworkV6)]);
    }

    /// <summary>Whether a rule of the chain lets through a new flow with this peer (the destination for egress, the source for ingress).</summary>
    public bool Allows(IPAddress peer, PortProtocol protocol, int port)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.AddressFamily == Family
            && ((AnyTraffic?.Contains(peer) ?? false) || (Ports?.Contains(peer, protocol, port) ?? false));
    }

    private static ChainFold Fold(PodChain chain, AddressFamily family)
    {
        var any = new List<AddressInterval>();
        var boxes = new List<FoldedBox>();
        foreach (ChainRule rule in chain.Rules)
        {
            if (rule.Endpoints is { } endpoints)
            {
                if (endpoints.Family == family)
                {
                    boxes.AddRange(endpoints.Endpoints.Select(e =>
                        new FoldedBox(AddressInterval.Of(e.Address), e.Protocol, e.Port, e.Port)));
                }
                continue;
            }
            if (rule.Family is { } only && only != family)
            {
                continue;
            }
            IEnumerable<AddressInterval> peers = rule.Peers is { } set ? set.Intervals : [AddressInterval.Everything(family)];
            if (rule.Ports is null)
            {
                any.AddRange(peers);
                continue;
            }
            foreach (AddressInterval peer in peers)
            {
                boxes.AddRange(rule.Ports.Intervals.Select(p => new FoldedBox(peer, p.Protocol, p.First, p.Last)));
            }
        }
        return new ChainFold(family,
            any.Count == 0 ? null : AddressSet.Of(family, any),
            boxes.Count == 0 ? null : FoldedSet.Of(family, Disjoint(boxes)));
    }

    /// <summary>
    /// The same union as disjoint boxes: per protocol, the ports cut at every box's edges; each
    /// piece gets the union of the addresses of the boxes over it; neighbouring pieces with the
    /// same addresses join again.
    /// </summary>
    private static IEnumerable<FoldedBox> Disjoint(List<FoldedBox> boxes)
    {
        foreach (IGrouping<PortProtocol, FoldedBox> protocol in boxes.GroupBy(b => b.Protocol).OrderBy(g => g.Key))
        {
            int[] edges = [.. protocol.SelectMany(b => new[] { b.FirstPort, b.LastPort + 1 }).Distinct().Order()];
            List<AddressInterval>? runAddresses = null;
            int runFirst = 0, runLast = -1;
            for (int e = 0; e + 1 < edges.Length; e++)
            {
                int first = edges[e], last = edges[e + 1] - 1;
                List<AddressInterval> addresses = AddressInterval.Normalize(
                    protocol.Where(b => b.FirstPort <= first && b.LastPort >= last).Select(b => b.Addresses));
                if (runAddresses is not null && runLast + 1 == first && runAddresses.SequenceEqual(addresses))
                {
                    runLast = last;
                    continue;
                }
                foreach (FoldedBox box in Run(protocol.Key, runAddresses, runFirst, runLast))
                {
                    yield return box;
                }
                (runAddresses, runFirst, runLast) = (addresses, first, last);
            }
            foreach (FoldedBox box in Run(protocol.Key, runAddresses, runFirst, runLast))
            {
                yield return box;
            }
        }
    }

    private static IEnumerable<FoldedBox> Run(PortProtocol protocol, List<AddressInterval>? addresses, int first, int last) =>
        addresses is null ? [] : addresses.Select(a => new FoldedBox(a, protocol, first, last));
}
