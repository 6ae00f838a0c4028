using Weave.Gossip;

namespace Weave.Ipam.Rings;

/// <summary>
/// One token of the ring: <see cref="Owner"/> owns the addresses from <see cref="Token"/> up to the
/// next entry's token (wrapping around). <see cref="Version"/> grows with every change the owner
/// makes (or an admin transfer makes); <see cref="Free"/> is the owner's last report of unused
/// addresses there, a hint for choosing whom to ask for space.
/// </summary>
internal readonly record struct RingEntry(uint Token, PeerName Owner, uint Version, uint Free)
{
    /// <summary>
    /// Total order of two entries at the same token, used by merge: the higher version wins; at
    /// equal versions the higher owner name, then the higher free count. Any total order makes merge
    /// a semilattice; this one needs nothing but the two entries, so every peer picks the same.
    /// </summary>
    public static int Compare(RingEntry a, RingEntry b)
    {
        int c = a.Version.CompareTo(b.Version);
        if (c != 0)
        {
            return c;
        }
        c = a.Owner.CompareTo(b.Owner);
        return c != 0 ? c : a.Free.CompareTo(b.Free);
    }

    public override string ToString() => $"{Ip4.Format(Token)}→{Owner} v{Version} free {Free}";
}
