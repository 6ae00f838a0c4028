using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weave.Cni.RouterApi;

/// <summary>An IPv4 address with its prefix length, as the router answers it: <c>10.32.0.5/12</c>.</summary>
public sealed record CidrAddress(IPAddress Address, int PrefixLength)
{
    public static bool TryParse(string? text, out CidrAddress? address)
    {
        address = null;
        if (text is null)
        {
            return false;
        }
        string[] parts = text.Trim().Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork ||
            parts[0].Count(c => c == '.') != 3 ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefixLength) || prefixLength > 32)
        {
            return false;
        }
        address = new CidrAddress(ip, prefixLength);
        return true;
    }

    /// <summary>Whether <paramref name="other"/> lies in this address's network.</summary>
    public bool Contains(IPAddress other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        uint mask = PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);
        return (ToUInt32(Address) & mask) == (ToUInt32(other) & mask);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}");

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        _ = address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
