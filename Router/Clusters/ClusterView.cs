using System.Net;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;

namespace Weave.Router.Clusters;

/// <summary>Another cluster as this router sees it in the topology.</summary>
/// <param name="Peers">Its routers in our topology.</param>
/// <param name="Reachable">Those a data route leads to now.</param>
/// <param name="NotPeered">Why its range gets no route and keeps no pod addresses unmasqueraded here; null when it is peered.</param>
public sealed record ClusterSummary(string Name, IPNetwork? Range, int Peers, int Reachable, string? NotPeered)
{
    /// <summary>As operators see it: <c>b (10.40.0.0/16)</c>.</summary>
    public string Display => Range is { } r ? $"{Name} ({r})" : $"{Name} (no IP allocation)";

    /// <summary>Pods here reach its pods: it is peered, has a range, and one of its routers is reachable.</summary>
    public bool Routed => NotPeered is null && Range is not null && Reachable > 0;
}

/// <summary>
/// The clusters of the mesh, taken from the topology on the mesh loop: ours, with how many
/// routers it has, and every other cluster whose routers' records reached us. Routers of one
/// mesh may belong to many clusters (topology and routes span them all); a cluster's pods reach
/// another's through the routes this view says to set (<see cref="PeeredRanges"/>).
/// </summary>
/// <param name="OurPeers">Routers of our cluster, us included; a record that names no cluster is an older router's and counts as ours.</param>
public sealed record ClusterView(ClusterIdentity Ours, int OurPeers, IReadOnlyList<ClusterSummary> Others)
{
    /// <summary>The ranges of the clusters pods here reach, in address order: each gets a route onto the bridge, and no masquerade.</summary>
    public IReadOnlyList<IPNetwork> PeeredRanges =>
        [.. Others.Where(c => c.Routed).Select(c => c.Range!.Value).Distinct().OrderBy(r => r, RangeOrder.Instance)];

    /// <summary>
    /// Groups <paramref name="records"/> by the cluster each names. Another cluster is not peered
    /// when the mesh would refuse its routers (<see cref="ClusterAdmission"/>: its range overlaps
    /// ours, or <paramref name="peerClusters"/> does not list it); records of such clusters can
    /// still reach us through a third cluster's routers, since topology is shared by all.
    /// </summary>
    /// <param name="reachable">Whether a data route leads to a peer now.</param>
    /// <param name="peerClusters"><c>--peer-clusters</c>; null admits every cluster.</param>
    public static ClusterView Of(PeerIdentity self, IEnumerable<PeerRecord> records, Func<PeerName, bool> reachable, IReadOnlySet<string>? peerClusters)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(reachable);
        ClusterIdentity ours = self.Cluster ?? Unnamed;
        int ourPeers = 1;
        var others = new Dictionary<ClusterIdentity, (int Peers, int Reachable)>();
        foreach (PeerRecord record in records)
        {
            if (record.Name == self.Name)
            {
                continue;
            }
            if (record.Cluster is not { } theirs)
            {
                ourPeers++;
                continue;
            }
            if (theirs.Name == ours.Name)
            {
                ourPeers++;
                continue;
            }
            (int peers, int up) = others.GetValueOrDefault(theirs);
            others[theirs] = (peers + 1, up + (reachable(record.Name) ? 1 : 0));
        }
        ClusterSummary[] summaries = [.. others
            .Select(o => new ClusterSummary(o.Key.Name, o.Key.Range, o.Value.Peers, o.Value.Reachable,
                ClusterAdmission.Admits(ours, o.Key, peerClusters, out string? refusal) ? null : refusal))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ThenBy(c => c.Range?.ToString(), StringComparer.Ordinal)];
        return new ClusterView(ours, ourPeers, summaries);
    }

    /// <summary>The cluster of a router that names none (as in tests of other parts): every peer naming none is in it.</summary>
    private static readonly ClusterIdentity Unnamed = ClusterIdentity.TryCreate(ClusterIdentity.DefaultName(null), null, out ClusterIdentity? unnamed, out _)
        ? unnamed
        : throw new InvalidOperationException("the default cluster name is not valid");

    /// <summary>Ranges by family, then address bytes, then prefix length: the same order on every router.</summary>
    private sealed class RangeOrder : IComparer<IPNetwork>
    {
        public static readonly RangeOrder Instance = new();

        public int Compare(IPNetwork x, IPNetwork y)
        {
            int c = x.BaseAddress.AddressFamily.CompareTo(y.BaseAddress.AddressFamily);
            if (c != 0)
            {
                return c;
            }
            c = x.BaseAddress.GetAddressBytes().AsSpan().SequenceCompareTo(y.BaseAddress.GetAddressBytes());
            return c != 0 ? c : x.PrefixLength.CompareTo(y.PrefixLength);
        }
    }
}
