using System.Net;
using MessagePack;

namespace Weave.Gossip.Topology;

/// <summary>
/// A record's cluster: two fields after its connections, the name and the range (str or nil),
/// left out altogether by a peer without a cluster, as older peers wrote records.
/// </summary>
public static partial class TopologyCodec
{
    /// <summary>The longest range text: an IPv6 address of 39 characters and <c>/128</c> fit with room.</summary>
    public const int MaxClusterRangeLength = 64;

    private const int ClusterRecordFields = RecordFields + 2;

    private static void WriteCluster(ref MessagePackWriter writer, ClusterIdentity cluster)
    {
        writer.Write(cluster.Name);
        if (cluster.Range is { } range)
        {
            writer.Write(range.ToString());
        }
        else
        {
            writer.WriteNil();
        }
    }

    /// <summary>
    /// The record's cluster fields (the name, then the range if present): both nil or absent for a
    /// peer without a cluster. Records of one message mostly share a cluster, so an identical one
    /// is reused rather than kept once per record.
    /// </summary>
    private static bool TryReadCluster(ref MessagePackReader reader, PeerName name, int fields, ref ClusterIdentity? lastCluster,
        out ClusterIdentity? cluster, out string error)
    {
        cluster = null;
        string? clusterName = null;
        if (!reader.TryReadNil() && !TryReadString(ref reader, ClusterIdentity.MaxNameLength, out clusterName))
        {
            error = $"record of {name}: cluster name longer than {ClusterIdentity.MaxNameLength} characters";
            return false;
        }
        string? rangeText = null;
        if (fields > RecordFields + 1 && !reader.TryReadNil() && !TryReadString(ref reader, MaxClusterRangeLength, out rangeText))
        {
            error = $"record of {name}: cluster range longer than {MaxClusterRangeLength} characters";
            return false;
        }
        if (clusterName is null)
        {
            error = rangeText is null ? "" : $"record of {name}: cluster range without a cluster name";
            return rangeText is null;
        }
        IPNetwork? range = null;
        if (rangeText is not null && !ClusterIdentity.TryParseRange(rangeText, out range, out string rangeError))
        {
            error = $"record of {name}: cluster range {rangeError}";
            return false;
        }
        if (lastCluster is { } last && last.Name == clusterName && last.Range == range)
        {
            cluster = last;
        }
        else if (!ClusterIdentity.TryCreate(clusterName, range, out cluster, out string nameError))
        {
            error = $"record of {name}: {nameError}";
            return false;
        }
        lastCluster = cluster;
        error = "";
        return true;
    }
}
