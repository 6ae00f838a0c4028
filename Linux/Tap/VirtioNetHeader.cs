using System.Buffers.Binary;

namespace Weave.Linux;

/// <summary>
/// struct virtio_net_hdr (linux/virtio_net.h): the 10 packed bytes a TAP opened with IFF_VNET_HDR
/// puts before every frame it hands over and expects before every frame written to it.
/// </summary>
/// <remarks>
/// <code>
///  0      1        2          4          6            8             10
///  +------+--------+----------+----------+------------+-------------+
///  |flags |gso_type| hdr_len  | gso_size | csum_start | csum_offset |
///  +------+--------+----------+----------+------------+-------------+
/// </code>
/// The 16-bit fields are in the TAP's byte order, which is the host's unless TUNSETVNETBE/LE says
/// otherwise; little-endian on every host we run on (x64, arm64), so we read and write them
/// little-endian. With TUNSETVNETHDRSZ 12 a 16-bit num_buffers follows (virtio_net_hdr_mrg_rxbuf);
/// we always ask for 10. A frame with <see cref="FlagNeedsChecksum"/> carries a partial checksum:
/// the field at <see cref="ChecksumStart"/> + <see cref="ChecksumOffset"/> holds the pseudo-header
/// sum, and the one's complement of the sum from <see cref="ChecksumStart"/> to the end must be
/// stored there (<see cref="InternetChecksum.TryCompletePartial"/>). A frame with a
/// <see cref="GsoType"/> other than <see cref="GsoNone"/> is a super-frame to cut into
/// <see cref="GsoSize"/>-byte payloads (<see cref="TcpSegmenter"/>).
/// </remarks>
public struct VirtioNetHeader : IEquatable<VirtioNetHeader>
{
    /// <summary>sizeof(struct virtio_net_hdr).</summary>
    public const int Size = 10;

    /// <summary>sizeof(struct virtio_net_hdr_mrg_rxbuf): with num_buffers.</summary>
    public const int SizeWithNumBuffers = 12;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csum_start + csum_offset is partial.</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified (host to guest only).</summary>
    public const byte FlagDataValid = 2;

    /// <summary>VIRTIO_NET_HDR_F_RSC_INFO.</summary>
    public const byte FlagRscInfo = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE: a frame that needs no segmentation.</summary>
    public const byte GsoNone = 0;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP (UFO, deprecated).</summary>
    public const byte GsoUdp = 3;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP_L4 (USO).</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: or-ed into the GSO type; CWR is set on the first segment only.</summary>
    public const byte GsoEcn = 0x80;

    public VirtioNetHeader(byte flags, byte gsoType, ushort headerLength, ushort gsoSize, ushort checksumStart, ushort checksumOffset)
    {
        Flags = flags;
        GsoType = gsoType;
        HeaderLength = headerLength;
        GsoSize = gsoSize;
        ChecksumStart = checksumStart;
        ChecksumOffset = checksumOffset;
    }

    /// <summary>flags: <see cref="FlagNeedsChecksum"/>, <see cref="FlagDataValid"/>, <see cref="FlagRscInfo"/>.</summary>
    public byte Flags { get; set; }

    /// <summary>gso_type: one of the Gso* values, possibly with <see cref="GsoEcn"/>.</summary>
    public byte GsoType { get; set; }

    /// <summary>hdr_len: the length of the headers to copy into every segment (a hint; not trusted).</summary>
    public ushort HeaderLength { get; set; }

    /// <summary>gso_size: the payload bytes per segment (the MSS for TCP).</summary>
    public ushort GsoSize { get; set; }

    /// <summary>csum_start: where checksumming starts, from the start of the Ethernet frame.</summary>
    public ushort ChecksumStart { get; set; }

    /// <summary>csum_offset: where to store the checksum, from <see cref="ChecksumStart"/>.</summary>
    public ushort ChecksumOffset { get; set; }

    /// <summary>The GSO type without <see cref="GsoEcn"/>.</summary>
    public readonly byte GsoKind => (byte)(GsoType & ~GsoEcn);

    /// <summary>Whether the frame is a super-frame to segment.</summary>
    public readonly bool IsGso => GsoKind != GsoNone;

    /// <summary>Whether the frame's checksum is partial.</summary>
    public readonly bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    /// <summary>Reads the header from the first <see cref="Size"/> bytes; false when fewer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }
        header = new VirtioNetHeader(
            source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes; false when fewer.</summary>
    public readonly bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="Size"/>.</exception>
    public readonly void Write(Span<byte> destination)
    {
        if (!TryWrite(destination))
        {
            throw new ArgumentException($"A virtio_net_hdr needs {Size} bytes.", nameof(destination));
        }
    }

    public readonly bool Equals(VirtioNetHeader other) =>
        Flags == other.Flags && GsoType == other.GsoType && HeaderLength == other.HeaderLength &&
        GsoSize == other.GsoSize && ChecksumStart == other.ChecksumStart && ChecksumOffset == other.ChecksumOffset;

    public override readonly bool Equals(object? obj) => obj is VirtioNetHeader other && Equals(other);

    public override readonly int GetHashCode() =>
        HashCode.Combine(Flags, GsoType, HeaderLength, GsoSize, ChecksumStart, ChecksumOffset);

    public static bool operator ==(VirtioNetHeader left, VirtioNetHeader right) => left.Equals(right);

    public static bool operator !=(VirtioNetHeader left, VirtioNetHeader right) => !left.Equals(right);

    public override readonly string ToString() =>
        $"flags={Flags} gso_type={GsoType} hdr_len={HeaderLength} gso_size={GsoSize} csum_start={ChecksumStart} csum_offset={ChecksumOffset}";
}
