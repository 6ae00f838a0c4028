using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;

namespace Weave.Ipam.Store;

/// <summary>
/// What one write adds to the saved state: the new value of each part that changed. A write costs
/// what changed, not what is held, so a burst of allocations with thousands held is as cheap as
/// one with none. Built on the loop, then only read.
/// </summary>
public sealed class IpamChanges
{
    internal IpamChanges(Ring? ring, bool claimsChanged, NodeClaims? claims, IReadOnlyDictionary<PeerName, string> nicknames,
        IdAllocations[] ids)
    {
        Ring = ring;
        ClaimsChanged = claimsChanged;
        Claims = claims;
        Nicknames = nicknames;
        Ids = ids;
    }

    public static IpamChanges None { get; } = new(null, false, null, new Dictionary<PeerName, string>(), []);

    /// <summary>The ring, when it changed; else null.</summary>
    internal Ring? Ring { get; }

    internal bool ClaimsChanged { get; }

    /// <summary>Our consensus claims when <see cref="ClaimsChanged"/> (null: none any more).</summary>
    internal NodeClaims? Claims { get; }

    /// <summary>Nicknames learnt or changed.</summary>
    internal IReadOnlyDictionary<PeerName, string> Nicknames { get; }

    /// <summary>Each changed ID with what it holds now; no addresses: it holds none any more.</summary>
    internal IdAllocations[] Ids { get; }

    public bool IsEmpty => Ring is null && !ClaimsChanged && Nicknames.Count == 0 && Ids.Length == 0;
}
