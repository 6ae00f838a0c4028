using System.Buffers.Binary;

namespace Weave.Linux;

/// <summary>A MAC address as a 48-bit integer (the first octet in the top bits), so tables and
/// lookups need no allocation: read from and written to wire order, and shown as aa:bb:cc:dd:ee:ff.</summary>
public static class MacAddress48
{
    public const int SizeBytes = 6;

    /// <summary>The largest value a 48-bit MAC can have.</summary>
    public const ulong Max = 0xFFFF_FFFF_FFFF;

    /// <summary>The MAC in the first 6 bytes of <paramref name="bytes"/>.</summary>
    public static ulong Read(ReadOnlySpan<byte> bytes) =>
        ((ulong)BinaryPrimitives.ReadUInt32BigEndian(bytes) << 16) | BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]);

    /// <summary>Writes <paramref name="mac"/> into the first 6 bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, ulong mac)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(mac >> 16));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)mac);
    }

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
}
