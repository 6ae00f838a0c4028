using System.Globalization;
using System.Text;
using Weave.Gossip;
using Weave.Gossip.Mesh;

namespace Weave.Router.Ipam;

/// <summary>
/// The gossip channel a cluster's IP allocation runs on: <c>ipam:&lt;cluster&gt;</c>. Each cluster
/// has its own ring, so each gossips apart; routers of other clusters relay what they do not
/// know (MeshNode passes on unknown channels), so one cluster's allocation crosses another's
/// routers where that is the only path.
/// </summary>
public static class IpamChannel
{
    public const string Prefix = "ipam:";

    /// <summary>How many characters of a long name are kept before its hash.</summary>
    private const int KeptCharacters = GossipEnvelope.MaxChannelNameLength - 8 - 1 - 5;

    /// <summary>
    /// The channel of <paramref name="cluster"/>. A name too long for a channel (more than 59
    /// characters) is cut and ends in a hash of the whole name, so that two long names that
    /// share a beginning still get different channels, and every router computes the same one.
    /// </summary>
    public static string For(ClusterIdentity cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        string full = Prefix + cluster.Name;
        if (full.Length <= GossipEnvelope.MaxChannelNameLength)
        {
            return full;
        }
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(cluster.Name))
        {
            hash = (hash ^ b) * 16777619;
        }
        return Prefix + cluster.Name[..KeptCharacters] + "~" + hash.ToString("x8", CultureInfo.InvariantCulture);
    }
}
