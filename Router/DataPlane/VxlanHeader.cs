using System.Buffers.Binary;

namespace Weave.Router.DataPlane;

/// <summary>
/// The VXLAN header of RFC 7348, section 5, in front of every Ethernet frame we send directly to a
/// peer over UDP (port 6784 by default), so stock tools decode our traffic
/// (<c>tshark -d udp.port==6784,vxlan</c>) and a Linux VXLAN device could be a peer.
/// <code>
///    0                   1                   2                   3
///   |R|R|R|R|I|R|R|R|            Reserved (24 bits)                 |
///   |           VXLAN Network Identifier (VNI)      |   Reserved    |
/// </code>
/// Only the I flag may be set: Linux drops packets with other reserved bits, so we do too.
/// </summary>
public static class VxlanHeader
{
    public const int SizeBytes = 8;
    public const byte FlagVniValid = 0x08;
    public const int MaxVni = (1 << 24) - 1;

    public static void Write(Span<byte> destination, int vni)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)FlagVniValid << 24);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)vni << 8);
    }

    /// <summary>True when <paramref name="datagram"/> starts with a valid header; gives its VNI.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out int vni)
    {
        vni = 0;
        if (datagram.Length < SizeBytes)
        {
            return false;
        }
        uint first = BinaryPrimitives.ReadUInt32BigEndian(datagram);
        uint second = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        if (first != (uint)FlagVniValid << 24 || (second & 0xFF) != 0)
        {
            return false;
        }
        vni = (int)(second >> 8);
        return true;
    }
}
