using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Weave.Gossip;

/// <summary>
/// A peer's 48-bit name, shown as a MAC address (<c>aa:bb:cc:dd:ee:ff</c>) as in Weave Net, so
/// operators recognise it and it can double as the bridge's MAC later.
/// </summary>
public readonly record struct PeerName : IComparable<PeerName>
{
    public const int SizeBytes = 6;
    private const ulong Mask = (1UL << 48) - 1;

    public PeerName(ulong value)
    {
        if (value > Mask)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a peer name has 48 bits");
        }
        Value = value;
    }

    public ulong Value { get; }

    /// <summary>A random name with the locally-administered bit set and the multicast bit clear.</summary>
    public static PeerName Random(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[SizeBytes];
        random.NextBytes(bytes);
        bytes[0] = (byte)((bytes[0] & 0xFE) | 0x02);
        return FromBytes(bytes);
    }

    public static PeerName FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != SizeBytes)
        {
            throw new ArgumentException($"a peer name is {SizeBytes} bytes", nameof(bytes));
        }
        ulong value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }
        return new PeerName(value);
    }

    public void WriteBytes(Span<byte> destination)
    {
        for (int i = SizeBytes - 1; i >= 0; i--)
        {
            destination[i] = (byte)(Value >> (8 * (SizeBytes - 1 - i)));
        }
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> (one or two hex digits per group).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PeerName name)
    {
        name = default;
        if (string.IsNullOrEmpty(text) || text.Length > 17)
        {
            return false;
        }
        string[] groups = text.Split(':');
        if (groups.Length != SizeBytes)
        {
            return false;
        }
        ulong value = 0;
        foreach (string group in groups)
        {
            if (group.Length is < 1 or > 2 ||
                !byte.TryParse(group, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }
            value = (value << 8) | b;
        }
        name = new PeerName(value);
        return true;
    }

    public int CompareTo(PeerName other) => Value.CompareTo(other.Value);

    public static bool operator <(PeerName left, PeerName right) => left.CompareTo(right) < 0;
    public static bool operator >(PeerName left, PeerName right) => left.CompareTo(right) > 0;
    public static bool operator <=(PeerName left, PeerName right) => left.CompareTo(right) <= 0;
    public static bool operator >=(PeerName left, PeerName right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(17, Value, static (chars, value) =>
    {
        for (int i = 0; i < SizeBytes; i++)
        {
            byte b = (byte)(value >> (8 * (SizeBytes - 1 - i)));
            int at = i * 3;
            chars[at] = HexDigit(b >> 4);
            chars[at + 1] = HexDigit(b & 0xF);
            if (i < SizeBytes - 1)
            {
                chars[at + 2] = ':';
            }
        }
    });

    private static char HexDigit(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
