using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weave.Ipam;

/// <summary>IPv4 addresses as host-order <see cref="uint"/>s: the representation behind the public types.</summary>
internal static class Ip4
{
    public static bool TryToUInt(IPAddress? address, out uint value)
    {
        value = 0;
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int written) || written != 4)
        {
            return false;
        }
        value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    public static uint ToUInt(IPAddress address) =>
        TryToUInt(address, out uint value) ? value : throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static string Format(uint value) =>
        $"{value >> 24}.{(value >> 16) & 0xFF}.{(value >> 8) & 0xFF}.{value & 0xFF}";

    /// <summary>A half-open interval [start, end) as "a.b.c.d-e.f.g.h" (inclusive last address).</summary>
    public static string FormatRange(uint start, ulong end) =>
        end - start == 1 ? Format(start) : $"{Format(start)}-{Format((uint)(end - 1))}";
}
