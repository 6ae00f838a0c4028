using System.Diagnostics.CodeAnalysis;

namespace Weave.Gossip.Mesh;

/// <summary>
/// Whether a router of one cluster may connect to a router of another (or of its own), judged on
/// the clusters alone. Both ends judge with the same rules, so a refusal happens, and is logged,
/// at both ends; only <c>--peer-clusters</c> may differ between the ends, and each end applies its own.
/// <list type="bullet">
/// <item>Different clusters whose pod ranges overlap: a pod address must say which cluster it
/// lives in, and two allocations over shared addresses would hand out the same one twice.</item>
/// <item>One cluster, two ranges: its routers share one allocation ring, which covers one range.</item>
/// <item>A cluster left out of our <c>--peer-clusters</c>, when that is set.</item>
/// </list>
/// A router that did not say its cluster (an older one) is admitted, there being nothing to check,
/// unless <c>--peer-clusters</c> is set: then only the clusters named are.
/// A router without a range (no IP allocation) overlaps nothing, and allocates from no other range
/// than its cluster's.
/// </summary>
public static class ClusterAdmission
{
    /// <param name="ours">Our cluster; null when we have none (every peer is admitted).</param>
    /// <param name="theirs">The peer's cluster, from its intro or its topology record.</param>
    /// <param name="peerClusters">The other clusters we peer with; null for any.</param>
    /// <param name="reason">One line for the log naming both clusters, when refused.</param>
    public static bool Admits(ClusterIdentity? ours, ClusterIdentity? theirs, IReadOnlySet<string>? peerClusters,
        [NotNullWhen(false)] out string? reason)
    {
        reason = null;
        if (ours is null)
        {
            return true;
        }
        if (theirs is null)
        {
            if (peerClusters is null)
            {
                return true;
            }
            // Leaving the cluster out must not be a way past the list.
            reason = $"peer names no cluster, and our --peer-clusters ({Listed(peerClusters)}) admits only the clusters it names";
            return false;
        }
        if (ours.Name == theirs.Name)
        {
            if (ours.Range is { } our && theirs.Range is { } their && our != their)
            {
                reason = $"peer is in our cluster {ours.Name} but allocates from {their}, we from {our}: " +
                    "routers of one cluster need the same --ipalloc-range";
                return false;
            }
            return true;
        }
        if (ours.Range is { } mine && theirs.Range is { } other && ClusterIdentity.Overlap(mine, other))
        {
            reason = $"cluster {theirs.Display} overlaps our cluster {ours.Display}: peered clusters need disjoint --ipalloc-range";
            return false;
        }
        if (peerClusters is not null && !peerClusters.Contains(theirs.Name))
        {
            reason = $"cluster {theirs.Name} is not in our --peer-clusters ({Listed(peerClusters)})";
            return false;
        }
        return true;
    }

    private static string Listed(IReadOnlySet<string> peerClusters) =>
        peerClusters.Count == 0 ? "none" : string.Join(", ", peerClusters.Order(StringComparer.Ordinal));
}
