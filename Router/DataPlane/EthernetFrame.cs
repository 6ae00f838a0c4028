using System.Buffers.Binary;

namespace Weave.Router.DataPlane;

/// <summary>Ethernet header fields as 48-bit integers, so lookups need no allocation.</summary>
public static class EthernetFrame
{
    public const int HeaderSizeBytes = 14;

    public static ulong Destination(ReadOnlySpan<byte> frame) => Read48(frame);

    public static ulong Source(ReadOnlySpan<byte> frame) => Read48(frame[6..]);

    /// <summary>Broadcast and multicast destinations have the group bit (first octet, bit 0).</summary>
    public static bool IsGroup(ulong mac) => (mac & (1UL << 40)) != 0;

    public static string Format(ulong mac) => string.Create(17, mac, static (chars, value) =>
    {
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(value >> (8 * (5 - i)));
            b.TryFormat(chars[(i * 3)..], out _, "x2");
            if (i < 5)
            {
                chars[(i * 3) + 2] = ':';
            }
        }
    });

    private static ulong Read48(ReadOnlySpan<byte> bytes) =>
        ((ulong)BinaryPrimitives.ReadUInt32BigEndian(bytes) << 16) | BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]);
}
