using System.Buffers.Binary;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>What becomes of a frame from the bridge measured against the overlay MTU.</summary>
public enum OversizeVerdict
{
    /// <summary>Forward it: its IP packet fits, or it is an IPv4 packet without DF (the kernel
    /// fragments the outer datagram: the UDP socket never sets DF), or it is not IP at all.</summary>
    Forward,

    /// <summary>Drop it and answer with ICMP "fragmentation needed" / "packet too big"
    /// (<see cref="TooBigReply"/>): an IPv4 packet with DF, or any IPv6 packet, above the MTU.</summary>
    TooBig,

    /// <summary>Drop it without an answer: a TCP super-frame without DF whose segments exceed the
    /// MTU. UDP GSO cannot send segments above the underlay link's MTU, and an ICMP error would
    /// be wrong for a packet that may be fragmented.</summary>
    Undeliverable,
}

/// <summary>
/// Measures a frame from the bridge against the overlay MTU: the IP packet of a plain frame, or one
/// segment (gso_size plus the IP and TCP headers) of a TCP super-frame. Pure and allocation-free.
/// </summary>
public static class OversizeFrame
{
    public const ushort EtherTypeIPv4 = 0x0800;
    public const ushort EtherTypeIPv6 = 0x86dd;
    public const ushort EtherTypeVlan = 0x8100;

    /// <summary>The don't-fragment bit of the IPv4 flags (byte 6).</summary>
    public const byte IPv4DontFragment = 0x40;

    public static OversizeVerdict Classify(ReadOnlySpan<byte> frame, in VirtioNetHeader offload, int mtu)
    {
        if (!offload.IsGso)
        {
            return Verdict(frame, superFrameSegment: -1, mtu);
        }
        return TcpSegmenter.TryParse(frame, offload, out TcpSuperFrame layout)
            ? ClassifySuperFrame(frame, layout, mtu)
            : OversizeVerdict.Forward; // not a valid super-frame: the segmenter drops and counts it
    }

    /// <summary>A TCP super-frame already parsed by <see cref="TcpSegmenter.TryParse"/>: one segment's
    /// IP packet (gso_size plus the IP and TCP headers) is measured.</summary>
    public static OversizeVerdict ClassifySuperFrame(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, int mtu) =>
        Verdict(frame, layout.HeaderLength - layout.NetworkOffset + layout.SegmentSize, mtu);

    /// <param name="superFrameSegment">One segment's IP packet length for a super-frame; -1 for a plain frame.</param>
    private static OversizeVerdict Verdict(ReadOnlySpan<byte> frame, int superFrameSegment, int mtu)
    {
        if (!TryFindNetworkLayer(frame, out int networkOffset, out ushort etherType))
        {
            return OversizeVerdict.Forward;
        }
        bool superFrame = superFrameSegment >= 0;
        int packetLength = superFrame ? superFrameSegment : frame.Length - networkOffset;
        if (packetLength <= mtu)
        {
            return OversizeVerdict.Forward;
        }
        ReadOnlySpan<byte> ip = frame[networkOffset..];
        if (etherType == EtherTypeIPv6 && ip.Length >= 1 && ip[0] >> 4 == 6)
        {
            return OversizeVerdict.TooBig;
        }
        if (etherType != EtherTypeIPv4 || ip.Length < 20 || ip[0] >> 4 != 4)
        {
            return OversizeVerdict.Forward;
        }
        if ((ip[6] & IPv4DontFragment) != 0)
        {
            return OversizeVerdict.TooBig;
        }
        return superFrame ? OversizeVerdict.Undeliverable : OversizeVerdict.Forward;
    }

    /// <summary>Where the IP header starts (14, or 18 behind one 802.1Q tag) and the EtherType
    /// there; false when the frame is too short to say.</summary>
    internal static bool TryFindNetworkLayer(ReadOnlySpan<byte> frame, out int offset, out ushort etherType)
    {
        offset = EthernetFrame.HeaderSizeBytes;
        etherType = 0;
        if (frame.Length < EthernetFrame.HeaderSizeBytes)
        {
            return false;
        }
        etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (etherType == EtherTypeVlan)
        {
            if (frame.Length < EthernetFrame.HeaderSizeBytes + 4)
            {
                return false;
            }
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
        }
        return true;
    }
}
