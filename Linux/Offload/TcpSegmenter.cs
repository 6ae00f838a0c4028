using System.Buffers.Binary;

namespace Weave.Linux;

/// <summary>
/// Software TCP segmentation (what the kernel's tcp_gso_segment does) for super-frames read from a
/// TAP with <see cref="TapOffloads.Tcp"/>: Ethernet + IPv4 or IPv6 + TCP + up to 64 KB of payload,
/// cut into frames of at most <see cref="VirtioNetHeader.GsoSize"/> payload bytes. Pure functions
/// over spans; nothing is allocated.
/// </summary>
/// <remarks>
/// Every segment gets a copy of the headers with: the IPv4 total length, identification (the
/// super-frame's plus the segment index) and header checksum, or the IPv6 payload length; the TCP
/// sequence number advanced by the payload before it; FIN and PSH only on the last segment, CWR
/// only on the first (as the kernel does for GSO_ECN); and a full TCP checksum computed from
/// scratch over the pseudo-header, so the segments are complete frames any receiver accepts
/// (the super-frame's partial checksum is ignored). IPv6 extension headers and IPv4 payloads
/// other than TCP are refused by <see cref="TryParse"/>.
/// </remarks>
public static class TcpSegmenter
{
    private const int EthernetHeaderBytes = 14;
    private const int VlanTagBytes = 4;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86dd;
    private const ushort EtherTypeVlan = 0x8100;
    private const byte ProtocolTcp = 6;
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Checks that <paramref name="frame"/> (the Ethernet frame after the virtio header) is a TCP
    /// super-frame matching <paramref name="header"/>'s GSO type (TCPV4 with IPv4, TCPV6 with
    /// IPv6, with or without ECN) with a non-zero gso_size, and finds its layout. The lengths come
    /// from the IP header, not from hdr_len; bytes after the IP packet are ignored.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, in VirtioNetHeader header, out TcpSuperFrame layout)
    {
        layout = default;
        byte kind = header.GsoKind;
        if ((kind != VirtioNetHeader.GsoTcpV4 && kind != VirtioNetHeader.GsoTcpV6) || header.GsoSize == 0 ||
            frame.Length < EthernetHeaderBytes)
        {
            return false;
        }
        int networkOffset = EthernetHeaderBytes;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (etherType == EtherTypeVlan)
        {
            if (frame.Length < EthernetHeaderBytes + VlanTagBytes)
            {
                return false;
            }
            networkOffset += VlanTagBytes;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
        }
        ReadOnlySpan<byte> ip = frame[networkOffset..];
        int ipHeaderLength;
        int ipEnd;
        bool isIPv6;
        if (etherType == EtherTypeIPv4 && kind == VirtioNetHeader.GsoTcpV4)
        {
            if (ip.Length < 20 || ip[0] >> 4 != 4 || ip[9] != ProtocolTcp)
            {
                return false;
            }
            ipHeaderLength = (ip[0] & 0x0f) * 4;
            ipEnd = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            isIPv6 = false;
        }
        else if (etherType == EtherTypeIPv6 && kind == VirtioNetHeader.GsoTcpV6)
        {
            if (ip.Length < 40 || ip[0] >> 4 != 6 || ip[6] != ProtocolTcp)
            {
                return false;
            }
            ipHeaderLength = 40;
            ipEnd = 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            isIPv6 = true;
        }
        else
        {
            return false;
        }
        if (ipHeaderLength < 20 || ipEnd > ip.Length || ipEnd < ipHeaderLength + 20)
        {
            return false;
        }
        int tcpHeaderLength = (ip[ipHeaderLength + 12] >> 4) * 4;
        int payloadLength = ipEnd - ipHeaderLength - tcpHeaderLength;
        if (tcpHeaderLength < 20 || payloadLength <= 0)
        {
            return false;
        }
        layout = new TcpSuperFrame(networkOffset, isIPv6, ipHeaderLength, tcpHeaderLength, payloadLength, header.GsoSize);
        return true;
    }

    /// <summary>
    /// Writes segments <paramref name="firstSegment"/>, <paramref name="firstSegment"/> + 1, ... of
    /// the super-frame back to back into <paramref name="output"/>, each preceded by
    /// <paramref name="headroom"/> bytes left untouched (room for an encapsulation header), and
    /// their Ethernet frame lengths into <paramref name="frameLengths"/>. Stops at the last segment,
    /// or at the first that does not fit in either span; returns how many it wrote. Since every
    /// segment but the last is the same size, the output is a ready UDP GSO send with a segment
    /// size of <paramref name="headroom"/> + the first frame length + <paramref name="tailroom"/>
    /// (bytes left untouched after each frame, e.g. for an AEAD tag).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">firstSegment or headroom is out of range.</exception>
    /// <exception cref="ArgumentException">The frame is shorter than the layout says.</exception>
    public static int Segment(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, int firstSegment,
        Span<byte> output, int headroom, Span<int> frameLengths, int tailroom = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfNegative(tailroom);
        ArgumentOutOfRangeException.ThrowIfNegative(firstSegment);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstSegment, layout.SegmentCount);
        if (frame.Length < layout.FrameLength || layout.SegmentSize <= 0)
        {
            throw new ArgumentException("The frame does not match its layout.", nameof(frame));
        }
        int headerLength = layout.HeaderLength;
        ReadOnlySpan<byte> headers = frame[..headerLength];
        ReadOnlySpan<byte> ip = frame[layout.NetworkOffset..];
        ReadOnlySpan<byte> tcp = frame[layout.TcpOffset..];
        ushort id = layout.IsIPv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        byte flags = tcp[13];
        uint addresses = layout.IsIPv6
            ? InternetChecksum.Combine(InternetChecksum.Add(ip.Slice(8, 16)), InternetChecksum.Add(ip.Slice(24, 16)))
            : InternetChecksum.Add(ip.Slice(12, 8));
        int last = layout.SegmentCount - 1;
        int position = 0;
        int written = 0;
        for (int index = firstSegment; index <= last && written < frameLengths.Length; index++, written++)
        {
            int payloadLength = layout.SegmentPayloadLength(index);
            int frameLength = headerLength + payloadLength;
            if (output.Length - position < headroom + frameLength + tailroom)
            {
                break;
            }
            Span<byte> segment = output.Slice(position + headroom, frameLength);
            headers.CopyTo(segment);
            frame.Slice(headerLength + (index * layout.SegmentSize), payloadLength).CopyTo(segment[headerLength..]);

            Span<byte> segmentIp = segment[layout.NetworkOffset..];
            int tcpLength = layout.TcpHeaderLength + payloadLength;
            if (layout.IsIPv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(segmentIp[4..], (ushort)tcpLength);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(segmentIp[2..], (ushort)(layout.IPHeaderLength + tcpLength));
                BinaryPrimitives.WriteUInt16BigEndian(segmentIp[4..], (ushort)(id + index));
                InternetChecksum.WriteIPv4HeaderChecksum(segmentIp);
            }

            Span<byte> segmentTcp = segment.Slice(layout.TcpOffset, tcpLength);
            BinaryPrimitives.WriteUInt32BigEndian(segmentTcp[4..], sequence + (uint)(index * layout.SegmentSize));
            byte segmentFlags = flags;
            if (index != last)
            {
                segmentFlags &= unchecked((byte)~(TcpFin | TcpPsh));
            }
            if (index != 0)
            {
                segmentFlags &= unchecked((byte)~TcpCwr);
            }
            segmentTcp[13] = segmentFlags;
            segmentTcp[16] = 0;
            segmentTcp[17] = 0;
            uint sum = InternetChecksum.Combine(addresses, ProtocolTcp + (uint)tcpLength);
            BinaryPrimitives.WriteUInt16BigEndian(segmentTcp[16..], InternetChecksum.Finish(InternetChecksum.Add(segmentTcp, sum)));

            frameLengths[written] = frameLength;
            position += headroom + frameLength + tailroom;
        }
        return written;
    }
}
