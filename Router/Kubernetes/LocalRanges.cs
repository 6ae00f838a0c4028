using System.Net;
using Weave.Gossip;
using Weave.Ipam;

namespace Weave.Router.Kubernetes;

/// <summary>The parts of the range this peer owns in the ring, as first–last address pairs, adjacent parts merged.</summary>
public static class LocalRanges
{
    public static IReadOnlyList<(IPAddress First, IPAddress Last)> Of(IpamStatus status, PeerName self)
    {
        ArgumentNullException.ThrowIfNull(status);
        IReadOnlyList<IpamRingToken> ring = status.Ring;
        var owned = new List<(ulong First, ulong Last)>();
        ulong rangeStart = ToNumber(status.Range.Network);
        ulong rangeEnd = rangeStart + (ulong)status.Range.Size; // exclusive
        for (int i = 0; i < ring.Count; i++)
        {
            if (ring[i].Owner != self)
            {
                continue;
            }
            ulong start = ToNumber(ring[i].Token);
            ulong end = i + 1 < ring.Count ? ToNumber(ring[i + 1].Token) : rangeEnd;
            if (end > start)
            {
                owned.Add((start, end - 1));
            }
            // The last entry also owns from the range's start up to the first token.
            if (i == ring.Count - 1 && ring.Count > 0 && ToNumber(ring[0].Token) > rangeStart)
            {
                owned.Add((rangeStart, ToNumber(ring[0].Token) - 1));
            }
        }
        owned.Sort();
        var merged = new List<(ulong First, ulong Last)>();
        foreach ((ulong first, ulong last) in owned)
        {
            if (merged.Count > 0 && merged[^1].Last + 1 >= first)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, last));
            }
            else
            {
                merged.Add((first, last));
            }
        }
        return [.. merged.Select(r => (ToAddress(r.First), ToAddress(r.Last)))];
    }

    private static ulong ToNumber(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        return ((ulong)b[0] << 24) | ((ulong)b[1] << 16) | ((ulong)b[2] << 8) | b[3];
    }

    private static IPAddress ToAddress(ulong value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
