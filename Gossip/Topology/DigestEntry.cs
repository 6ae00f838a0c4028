namespace Weave.Gossip.Topology;

/// <summary>
/// What a peer holds for one name, without the record's content: enough for a neighbour to tell
/// which records either side lacks (<see cref="PeerTopology.CompareDigest"/>). Digests are ordered
/// by (<see cref="Version"/>, <see cref="Uid"/>), as records are.
/// </summary>
public readonly record struct DigestEntry(PeerName Name, ulong Uid, ulong Version)
{
    /// <summary>&gt;0 when <paramref name="a"/> is newer than <paramref name="b"/> by version, then UID.</summary>
    internal static int CompareVersions(ulong aVersion, ulong aUid, ulong bVersion, ulong bUid)
    {
        int byVersion = aVersion.CompareTo(bVersion);
        return byVersion != 0 ? byVersion : aUid.CompareTo(bUid);
    }
}
