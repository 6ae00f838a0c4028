using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>Ethernet header fields as 48-bit integers, so lookups need no allocation.</summary>
public static class EthernetFrame
{
    public const int HeaderSizeBytes = 14;

    public static ulong Destination(ReadOnlySpan<byte> frame) => MacAddress48.Read(frame);

    public static ulong Source(ReadOnlySpan<byte> frame) => MacAddress48.Read(frame[6..]);

    /// <summary>Broadcast and multicast destinations have the group bit (first octet, bit 0).</summary>
    public static bool IsGroup(ulong mac) => (mac & (1UL << 40)) != 0;

    public static string Format(ulong mac) => MacAddress48.Format(mac);
}
