namespace Weave.Gossip;

/// <summary>
/// Who a router is: its stable name, its nickname, and the random UID of this run. A new UID
/// under the same name means the peer restarted, and its new record supersedes the old one.
/// </summary>
public sealed record PeerIdentity(PeerName Name, string NickName, ulong Uid)
{
    /// <summary>The cluster the router belongs to; null for a peer that did not say (an older one).</summary>
    public ClusterIdentity? Cluster { get; init; }

    /// <summary>How operators see a peer: <c>name(nickname)</c>, as Weave printed it.</summary>
    public string Display => $"{Name}({NickName})";

    public override string ToString() => Display;
}
