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

    /// <summary>What <see cref="TryParse(string?, out PeerName, out string)"/> says of text that is not a name at all.</summary>
    public const string MalformedError = "expected six hex octets like 5e:1a:00:00:00:01";
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

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> (one or two hex digits per group); false for text
    /// that is not one, and for a name no peer may have (<see cref="TryCheckUsable"/>).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PeerName name) => TryParse(text, out name, out _);

    /// <summary>
    /// Parses a peer name given by an operator or a peer: six groups of one or two hex digits joined
    /// by ':', and a name a peer may have (not zero, broadcast or multicast). On failure
    /// <paramref name="error"/> says which, in words fit for one line after the value's origin.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PeerName name, out string error)
    {
        if (!TryParseSyntax(text, out name))
        {
            error = MalformedError;
            return false;
        }
        if (!name.TryCheckUsable(out error))
        {
            name = default;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Whether a peer may have this name. A name doubles as a MAC address (Weave's peers used it as
    /// their bridge's), and names are compared and chosen by value: zero is the "no peer" of the
    /// ring and of topology messages, and a broadcast or multicast MAC (the low bit of the first
    /// octet) is never one interface's. <see cref="Random"/> and the machine-id derivation never
    /// produce such names; this refuses them where a name comes in as text (flags, the data
    /// directory, a peer's intro).
    /// </summary>
    public bool TryCheckUsable(out string error)
    {
        const ulong MulticastBit = 1UL << 40;
        error = Value switch
        {
            0 => $"{this} is the zero name, which no peer may have",
            Mask => $"{this} is the broadcast address, which no peer may have",
            _ when (Value & MulticastBit) != 0 => $"{this} is a multicast address (the low bit of its first octet is set): a peer name must be a unicast MAC address",
            _ => "",
        };
        return error.Length == 0;
    }

    private static bool TryParseSyntax(string? text, out PeerName name)
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
