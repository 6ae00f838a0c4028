using Weave.Gossip;

namespace Weave.Ipam;

/// <summary>
/// What the allocator needs to know of the mesh: the other peers it currently knows, with their
/// nicknames and whether they can be reached now. Read on the allocator's loop only. The router
/// implements it over the mesh topology; tests, in memory.
/// </summary>
public interface IPeerView
{
    /// <summary>The other peers (not us) the mesh knows of now.</summary>
    IReadOnlyCollection<IpamPeer> Peers { get; }
}

/// <summary>A peer as the mesh sees it.</summary>
public readonly record struct IpamPeer(PeerName Name, string NickName, bool Reachable);
