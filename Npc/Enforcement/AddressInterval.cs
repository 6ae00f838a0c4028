using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>
/// The addresses <see cref="First"/> to <see cref="Last"/> (both included) of one family, as
/// 128-bit numbers so that IPv4 and IPv6 share the arithmetic (IPv4 uses the low 32 bits).
/// </summary>
public readonly record struct AddressInterval(AddressFamily Family, UInt128 First, UInt128 Last)
{
    public static AddressInterval Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        UInt128 value = ToNumber(address);
        return new AddressInterval(address.AddressFamily, value, value);
    }

    public static AddressInterval Of(IPNetwork network)
    {
        UInt128 first = ToNumber(network.BaseAddress);
        int bits = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int host = bits - network.PrefixLength;
        UInt128 span = host == 128 ? UInt128.MaxValue : (UInt128.One << host) - 1;
        return new AddressInterval(network.BaseAddress.AddressFamily, first, first | span);
    }

    /// <summary>Every address of the family: a peer of a rule that names none.</summary>
    public static AddressInterval Everything(AddressFamily family) =>
        new(family, UInt128.Zero, family == AddressFamily.InterNetwork ? uint.MaxValue : UInt128.MaxValue);

    public bool Contains(IPAddress address) =>
        address.AddressFamily == Family && ToNumber(address) is UInt128 value && value >= First && value <= Last;

    /// <summary>As nft writes an element of an interval set: one address, or <c>first-last</c>.</summary>
    public override string ToString() => First == Last ? ToAddress(Family, First).ToString() : $"{ToAddress(Family, First)}-{ToAddress(Family, Last)}";

    internal static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = 0;
        foreach (byte b in address.GetAddressBytes())
        {
            value = (value << 8) | b;
        }
        return value;
    }

    internal static IPAddress ToAddress(AddressFamily family, UInt128 value)
    {
        var bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }

    /// <summary>The intervals of <paramref name="intervals"/> of one family, sorted, with overlapping and adjacent ones merged.</summary>
    internal static List<AddressInterval> Normalize(IEnumerable<AddressInterval> intervals)
    {
        var merged = new List<AddressInterval>();
        foreach (AddressInterval next in intervals.OrderBy(i => i.First))
        {
            if (merged.Count > 0 && merged[^1] is var last && (last.Last == UInt128.MaxValue || next.First <= last.Last + 1))
            {
                merged[^1] = last with { Last = UInt128.Max(last.Last, next.Last) };
            }
            else
            {
                merged.Add(next);
            }
        }
        return merged;
    }

    /// <summary><paramref name="whole"/> minus <paramref name="hole"/>: none, one or two intervals.</summary>
    internal static IEnumerable<AddressInterval> Subtract(AddressInterval whole, AddressInterval hole)
    {
        if (hole.Family != whole.Family || hole.Last < whole.First || hole.First > whole.Last)
        {
            yield return whole;
            yield break;
        }
        if (hole.First > whole.First)
        {
            yield return whole with { Last = hole.First - 1 };
        }
        if (hole.Last < whole.Last)
        {
            yield return whole with { First = hole.Last + 1 };
        }
    }
}
