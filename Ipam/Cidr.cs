using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Weave.Ipam;

/// <summary>
/// An aligned address block such as <c>10.32.0.0/12</c>. IPv4 for now: the value is kept as a
/// number inside, but only <see cref="IPAddress"/> shows outside, so IPv6 can come without an API change.
/// </summary>
public readonly record struct Cidr
{
    private readonly uint _start;

    private Cidr(uint start, int prefixLength)
    {
        _start = start;
        PrefixLength = prefixLength;
    }

    public int PrefixLength { get; }

    public IPAddress Network => Ip4.ToAddress(_start);

    /// <summary>The last address of the block (the broadcast address of a subnet).</summary>
    public IPAddress Broadcast => Ip4.ToAddress((uint)(End - 1));

    /// <summary>How many addresses the block spans, network and broadcast included.</summary>
    public long Size => (long)(End - _start);

    /// <summary>The lowest address a host may have: the network address itself for /31 and /32.</summary>
    public IPAddress FirstHost => Ip4.ToAddress(FirstHostValue);

    /// <summary>The highest address a host may have: the broadcast address itself for /31 and /32.</summary>
    public IPAddress LastHost => Ip4.ToAddress(LastHostValue);

    internal uint Start => _start;

    internal ulong End => _start + (1UL << (32 - PrefixLength));

    internal uint FirstHostValue => PrefixLength >= 31 ? _start : _start + 1;

    internal uint LastHostValue => PrefixLength >= 31 ? (uint)(End - 1) : (uint)(End - 2);

    internal static Cidr FromValue(uint start, int prefixLength)
    {
        if (prefixLength is < 0 or > 32 || (start & ~Mask(prefixLength)) != 0)
        {
            throw new ArgumentException($"{Ip4.Format(start)}/{prefixLength} is not an aligned block");
        }
        return new Cidr(start, prefixLength);
    }

    internal static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>Parses <c>a.b.c.d/n</c>; the address must be the block's first (an unaligned one is refused, naming the aligned block).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Cidr cidr, out string error)
    {
        cidr = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty CIDR";
            return false;
        }
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            error = $"'{text}' is not a CIDR (expected a.b.c.d/n)";
            return false;
        }
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? address) || !Ip4.TryToUInt(address, out _) ||
            text.AsSpan(0, slash).Count('.') != 3)
        {
            error = $"'{text}' does not start with an IPv4 address";
            return false;
        }
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > 32)
        {
            error = $"'{text}' has no prefix length between 0 and 32";
            return false;
        }
        return TryCreate(address, prefix, out cidr, out error);
    }

    public static Cidr Parse(string text) =>
        TryParse(text, out Cidr cidr, out string error) ? cidr : throw new FormatException(error);

    /// <summary>The block <paramref name="address"/>/<paramref name="prefixLength"/>, which must be aligned.</summary>
    public static bool TryCreate(IPAddress address, int prefixLength, out Cidr cidr, out string error)
    {
        cidr = default;
        if (!Ip4.TryToUInt(address, out uint value))
        {
            error = $"{address} is not an IPv4 address";
            return false;
        }
        if (prefixLength is < 0 or > 32)
        {
            error = $"prefix length {prefixLength} is not between 0 and 32";
            return false;
        }
        uint aligned = value & Mask(prefixLength);
        if (aligned != value)
        {
            error = $"{Ip4.Format(value)}/{prefixLength} is not aligned: did you mean {Ip4.Format(aligned)}/{prefixLength}?";
            return false;
        }
        cidr = new Cidr(value, prefixLength);
        error = "";
        return true;
    }

    /// <summary>The aligned block of the given length that contains <paramref name="address"/>.</summary>
    public static Cidr Containing(IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        return new Cidr(Ip4.ToUInt(address) & Mask(prefixLength), prefixLength);
    }

    public bool Contains(IPAddress address) => Ip4.TryToUInt(address, out uint value) && Contains(value);

    public bool Contains(Cidr other) => other._start >= _start && other.End <= End;

    public bool Overlaps(Cidr other) => other._start < End && _start < other.End;

    internal bool Contains(uint address) => address >= _start && address < End;

    public override string ToString() => $"{Ip4.Format(_start)}/{PrefixLength}";
}
