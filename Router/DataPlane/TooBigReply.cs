using System.Buffers.Binary;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The answer to a packet too big for the overlay, written back into the TAP as if it came from
/// the packet's destination, so the sender's path MTU discovery learns the overlay MTU:
/// <code>
///   IPv4 (RFC 792, RFC 1191)                      IPv6 (RFC 4443)
///   Ethernet: dst = its src, src = its dst        Ethernet: dst = its src, src = its dst
///     (an 802.1Q tag is kept)                       (an 802.1Q tag is kept)
///   IPv4: TTL 64, proto 1, no DF,                 IPv6: hop limit 64, next header 58,
///         src = its dst, dst = its src                  src = its dst, dst = its src
///   ICMP: type 3 code 4, checksum, unused (2),    ICMPv6: type 2 code 0, checksum, MTU (4),
///         next-hop MTU (2)                                checksum over the pseudo-header
///   its IP header and payload, the reply          its IP packet, the reply at most 1280
///   at most 576 bytes (RFC 1812 4.3.2.3)          bytes (RFC 4443 2.4 c)
/// </code>
/// No answer (false) where the RFCs forbid an ICMP error (RFC 1812 4.3.2.7, RFC 4443 2.4 e): to
/// a group Ethernet address, to or from an address that is not unicast (0/8, 127/8, 224/4 and
/// above; ::, ff00::/8), for a non-initial fragment, or about an ICMP error. Pure, allocation-free:
/// it writes into the caller's buffer.
/// </summary>
public static class TooBigReply
{
    /// <summary>The most an IPv4 ICMP error datagram may hold (RFC 1812 4.3.2.3).</summary>
    public const int MaxIPv4ReplyBytes = 576;

    /// <summary>The most an ICMPv6 error packet may hold: the IPv6 minimum MTU (RFC 4443 2.4 c).</summary>
    public const int MaxIPv6ReplyBytes = 1280;

    /// <summary>Room for any reply frame: Ethernet with one 802.1Q tag and the larger reply.</summary>
    public const int MaxFrameBytes = EthernetFrame.HeaderSizeBytes + 4 + MaxIPv6ReplyBytes;

    public const byte HopLimit = 64;

    private const int IPv4HeaderBytes = 20;
    private const int IPv6HeaderBytes = 40;
    private const int IcmpHeaderBytes = 8;
    private const byte ProtocolIcmp = 1;
    private const byte ProtocolIcmpV6 = 58;
    private const byte IcmpDestinationUnreachable = 3;
    private const byte IcmpFragmentationNeeded = 4;
    private const byte IcmpV6PacketTooBig = 2;

    /// <summary>
    /// Writes the reply to <paramref name="frame"/> (an Ethernet frame carrying an IPv4 or IPv6
    /// packet, or a super-frame) announcing <paramref name="mtu"/>, into <paramref name="reply"/>;
    /// gives its length. False, with nothing meaningful written, when no answer may be sent.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The MTU is not 68 to 65535.</exception>
    /// <exception cref="ArgumentException">The reply buffer is shorter than <see cref="MaxFrameBytes"/>.</exception>
    public static bool TryWrite(ReadOnlySpan<byte> frame, int mtu, Span<byte> reply, out int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, ushort.MaxValue);
        if (reply.Length < MaxFrameBytes)
        {
            throw new ArgumentException($"A reply buffer needs {MaxFrameBytes} bytes.", nameof(reply));
        }
        length = 0;
        if (!OversizeFrame.TryFindNetworkLayer(frame, out int offset, out ushort etherType) ||
            EthernetFrame.IsGroup(EthernetFrame.Destination(frame)) || EthernetFrame.IsGroup(EthernetFrame.Source(frame)))
        {
            return false;
        }
        ReadOnlySpan<byte> packet = frame[offset..];
        int packetLength = etherType switch
        {
            OversizeFrame.EtherTypeIPv4 => WriteIPv4(packet, mtu, reply[offset..]),
            OversizeFrame.EtherTypeIPv6 => WriteIPv6(packet, mtu, reply[offset..]),
            _ => 0,
        };
        if (packetLength == 0)
        {
            return false;
        }
        frame[..6].CopyTo(reply[6..]);
        frame[6..12].CopyTo(reply);
        frame[12..offset].CopyTo(reply[12..]); // the 802.1Q tag, if any, and the EtherType
        length = offset + packetLength;
        return true;
    }

    /// <summary>The IPv4 reply packet; 0 when none may be sent.</summary>
    private static int WriteIPv4(ReadOnlySpan<byte> packet, int mtu, Span<byte> reply)
    {
        if (packet.Length < IPv4HeaderBytes || packet[0] >> 4 != 4)
        {
            return 0;
        }
        int headerLength = (packet[0] & 0x0f) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        ReadOnlySpan<byte> source = packet.Slice(12, 4);
        ReadOnlySpan<byte> destination = packet.Slice(16, 4);
        bool nonInitialFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1fff) != 0;
        if (headerLength < IPv4HeaderBytes || headerLength > packet.Length || totalLength < headerLength ||
            !IsUnicastIPv4(source) || !IsUnicastIPv4(destination) || nonInitialFragment ||
            (packet[9] == ProtocolIcmp && headerLength < packet.Length && IsIcmpV4Error(packet[headerLength])))
        {
            return 0;
        }
        int quote = Math.Min(Math.Min(totalLength, packet.Length), MaxIPv4ReplyBytes - IPv4HeaderBytes - IcmpHeaderBytes);
        int replyLength = IPv4HeaderBytes + IcmpHeaderBytes + quote;

        Span<byte> ip = reply[..IPv4HeaderBytes];
        ip[0] = 0x45; // version 4, 5 words
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)replyLength);
        ip[4..8].Clear(); // identification, flags, fragment offset
        ip[8] = HopLimit;
        ip[9] = ProtocolIcmp;
        destination.CopyTo(ip[12..]);
        source.CopyTo(ip[16..]);
        InternetChecksum.WriteIPv4HeaderChecksum(ip);

        Span<byte> icmp = reply[IPv4HeaderBytes..replyLength];
        icmp[0] = IcmpDestinationUnreachable;
        icmp[1] = IcmpFragmentationNeeded;
        icmp[2..6].Clear(); // checksum (for now), unused
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)mtu);
        packet[..quote].CopyTo(icmp[IcmpHeaderBytes..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return replyLength;
    }

    /// <summary>The IPv6 reply packet; 0 when none may be sent.</summary>
    private static int WriteIPv6(ReadOnlySpan<byte> packet, int mtu, Span<byte> reply)
    {
        if (packet.Length < IPv6HeaderBytes || packet[0] >> 4 != 6)
        {
            return 0;
        }
        ReadOnlySpan<byte> source = packet.Slice(8, 16);
        ReadOnlySpan<byte> destination = packet.Slice(24, 16);
        if (!IsUnicastIPv6(source) || !IsUnicastIPv6(destination) ||
            (packet[6] == ProtocolIcmpV6 && packet.Length > IPv6HeaderBytes && packet[IPv6HeaderBytes] < 128))
        {
            return 0; // ICMPv6 types below 128 are errors
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int available = payloadLength == 0 ? packet.Length : Math.Min(IPv6HeaderBytes + payloadLength, packet.Length);
        int quote = Math.Min(available, MaxIPv6ReplyBytes - IPv6HeaderBytes - IcmpHeaderBytes);
        int icmpLength = IcmpHeaderBytes + quote;

        Span<byte> ip = reply[..IPv6HeaderBytes];
        BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000); // version 6, traffic class 0, flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)icmpLength);
        ip[6] = ProtocolIcmpV6;
        ip[7] = HopLimit;
        destination.CopyTo(ip[8..]);
        source.CopyTo(ip[24..]);

        Span<byte> icmp = reply.Slice(IPv6HeaderBytes, icmpLength);
        icmp[0] = IcmpV6PacketTooBig;
        icmp[1] = 0;
        icmp[2..4].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], (uint)mtu);
        packet[..quote].CopyTo(icmp[IcmpHeaderBytes..]);
        uint pseudoHeader = InternetChecksum.PseudoHeaderV6(ip.Slice(8, 16), ip.Slice(24, 16), ProtocolIcmpV6, (uint)icmpLength);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp, pseudoHeader)));
        return IPv6HeaderBytes + icmpLength;
    }

    /// <summary>Not in 0/8 (this network), 127/8 (loopback), or 224/4 and above (multicast, reserved, broadcast).</summary>
    private static bool IsUnicastIPv4(ReadOnlySpan<byte> address) => address[0] is not 0 and not 127 and < 224;

    /// <summary>Destination unreachable, source quench, redirect, time exceeded, parameter problem.</summary>
    private static bool IsIcmpV4Error(byte type) => type is 3 or 4 or 5 or 11 or 12;

    /// <summary>Not :: (unspecified) and not ff00::/8 (multicast).</summary>
    private static bool IsUnicastIPv6(ReadOnlySpan<byte> address) => address[0] != 0xff && address.IndexOfAnyExcept((byte)0) >= 0;
}
