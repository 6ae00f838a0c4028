namespace Weave.Gossip.Topology;

/// <summary>
/// A peer's own account of itself, the unit of topology gossip. Only the owner creates records
/// for its name; it bumps <see cref="Version"/> whenever its connections change. Records are
/// ordered by (<see cref="Version"/>, <see cref="Uid"/>): a higher version wins; at the same
/// version a higher UID wins (a restarted peer that has not yet caught up with its old version).
/// Immutable; equality compares the connection list by value.
/// </summary>
public sealed class PeerRecord : IEquatable<PeerRecord>
{
    public PeerRecord(PeerName name, string nickName, ulong uid, ulong version, IReadOnlyList<ConnectionSummary> connections, ClusterIdentity? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(nickName);
        ArgumentNullException.ThrowIfNull(connections);
        Name = name;
        NickName = nickName;
        Uid = uid;
        Version = version;
        Connections = connections;
        Cluster = cluster;
    }

    public PeerName Name { get; }
    public string NickName { get; }
    public ulong Uid { get; }
    public ulong Version { get; }
    public IReadOnlyList<ConnectionSummary> Connections { get; }

    /// <summary>The cluster the peer belongs to; null in a record of a peer that did not say (an older one).</summary>
    public ClusterIdentity? Cluster { get; }

    public string Display => $"{Name}({NickName})";

    /// <summary>
    /// Whether both records list the same remote peers in the same order, whatever the links'
    /// states and addresses: then the directed links gossip routes follow are the same.
    /// </summary>
    public bool SameRemotes(PeerRecord other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Connections.Count != other.Connections.Count)
        {
            return false;
        }
        for (int i = 0; i < Connections.Count; i++)
        {
            if (Connections[i].Remote != other.Connections[i].Remote)
            {
                return false;
            }
        }
        return true;
    }

    public bool Equals(PeerRecord? other) =>
        other is not null && Name == other.Name && NickName == other.NickName && Uid == other.Uid &&
        Version == other.Version && Cluster == other.Cluster && Connections.SequenceEqual(other.Connections);

    public override bool Equals(object? obj) => Equals(obj as PeerRecord);

    public override int GetHashCode() => HashCode.Combine(Name, Uid, Version, Connections.Count);

    public override string ToString() => $"{Display} v{Version} uid {Uid} [{string.Join(", ", Connections.Select(c => $"{(c.Outbound ? "->" : "<-")}{c.Remote}{(c.Established ? "" : "?")}"))}]";
}
