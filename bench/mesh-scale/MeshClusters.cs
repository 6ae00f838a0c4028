using System.Globalization;
using System.Net;
using Weave.Gossip;

namespace Weave.Bench.MeshScale;

/// <summary>
/// How the bench splits N peers into K clusters: cluster k is named <c>c{k}</c> and allocates from
/// <c>10.{32+k}.0.0/16</c> (disjoint, so every pair of clusters peers); peers are split into K
/// consecutive blocks of about N / K, as clusters formed apart and then joined would be numbered.
/// </summary>
internal static class MeshClusters
{
    /// <summary>10.32.0.0/16 up to 10.255.0.0/16.</summary>
    public const int MaxClusters = 224;

    public static ClusterIdentity[] Create(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxClusters);
        var clusters = new ClusterIdentity[count];
        for (int k = 0; k < count; k++)
        {
            var range = IPNetwork.Parse(string.Create(CultureInfo.InvariantCulture, $"10.{32 + k}.0.0/16"));
            if (!ClusterIdentity.TryCreate(string.Create(CultureInfo.InvariantCulture, $"c{k}"), range, out ClusterIdentity? cluster, out string error))
            {
                throw new InvalidOperationException(error);
            }
            clusters[k] = cluster;
        }
        return clusters;
    }

    /// <summary>The cluster of peer <paramref name="index"/> of <paramref name="peers"/>; peers added later join the last cluster.</summary>
    public static int Of(int index, int peers, int clusters) => Math.Min((int)((long)index * clusters / peers), clusters - 1);
}
