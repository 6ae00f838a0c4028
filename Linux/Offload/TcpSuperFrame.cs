namespace Weave.Linux;

/// <summary>
/// Where the headers and payload of a TCP super-frame lie (from <see cref="TcpSegmenter.TryParse"/>),
/// and how it splits: <see cref="SegmentCount"/> segments of <see cref="SegmentSize"/> payload
/// bytes, the last one possibly shorter. Offsets count from the start of the Ethernet frame.
/// </summary>
public readonly struct TcpSuperFrame
{
    internal TcpSuperFrame(int networkOffset, bool isIPv6, int ipHeaderLength, int tcpHeaderLength, int payloadLength, int segmentSize)
    {
        NetworkOffset = networkOffset;
        IsIPv6 = isIPv6;
        IPHeaderLength = ipHeaderLength;
        TcpHeaderLength = tcpHeaderLength;
        PayloadLength = payloadLength;
        SegmentSize = segmentSize;
    }

    /// <summary>Where the IP header starts: 14, or 18 behind one 802.1Q tag.</summary>
    public int NetworkOffset { get; }

    public bool IsIPv6 { get; }

    public int IPHeaderLength { get; }

    public int TcpOffset => NetworkOffset + IPHeaderLength;

    public int TcpHeaderLength { get; }

    /// <summary>The bytes copied to the front of every segment: Ethernet, IP and TCP headers.</summary>
    public int HeaderLength => TcpOffset + TcpHeaderLength;

    /// <summary>The TCP payload of the whole super-frame.</summary>
    public int PayloadLength { get; }

    /// <summary>The payload bytes per segment (gso_size: the MSS).</summary>
    public int SegmentSize { get; }

    public int SegmentCount => (PayloadLength + SegmentSize - 1) / SegmentSize;

    /// <summary>The Ethernet frame length of the super-frame, without trailing padding.</summary>
    public int FrameLength => HeaderLength + PayloadLength;

    /// <summary>The payload bytes of segment <paramref name="index"/>.</summary>
    public int SegmentPayloadLength(int index) => Math.Min(SegmentSize, PayloadLength - (index * SegmentSize));

    /// <summary>The Ethernet frame length of segment <paramref name="index"/>.</summary>
    public int SegmentFrameLength(int index) => HeaderLength + SegmentPayloadLength(index);
}
