using System.Buffers.Binary;

namespace Weave.Router.DataPlane;

/// <summary>
/// What starts the sealed payload of a <see cref="SleeveKind.Chunk"/> datagram: which piece of
/// which TCP super-frame it carries. Between sealed neighbours that both take chunks, a super-frame
/// read from the bridge travels as consecutive pieces of its bytes instead of being cut into TCP
/// segments: no segment headers to write, no checksums to compute or verify, fewer datagrams.
/// <code>
///   0             4                8                12         13         14          16
///  +-------------+----------------+----------------+----------+----------+-----------+--------
///  | frame (32)  | frame length   | offset (32)    | gso_type | reserved | gso_size  | bytes of
///  |             | (32)           |                |          | (0)      | (16)      | the frame
///  +-------------+----------------+----------------+----------+----------+-----------+--------
/// </code>
/// The frame number counts the sender's super-frames to this neighbour (wrapping); gso_type and
/// gso_size are the super-frame's virtio-net values (TCPV4 or TCPV6, ECN bit allowed). Every piece
/// repeats all of it, so each is checked against the frame it claims to continue. Big-endian, as
/// all our headers.
/// </summary>
public readonly record struct ChunkHeader(uint Frame, int FrameLength, int Offset, byte GsoType, ushort GsoSize)
{
    public const int SizeBytes = 16;

    /// <summary>The largest frame a chunked super-frame may be: what a TAP read can hold.</summary>
    public const int MaxFrameBytes = 18 + 40 + 65_535;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Frame);
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], FrameLength);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], Offset);
        destination[12] = GsoType;
        destination[13] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], GsoSize);
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="payload"/>; false when it is short, or when
    /// its numbers cannot describe a piece of a TCP super-frame: a frame longer than
    /// <see cref="MaxFrameBytes"/>, a piece that is empty or reaches past the frame's end, a
    /// gso_type other than TCPV4/TCPV6, a zero gso_size.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out ChunkHeader header)
    {
        header = default;
        if (payload.Length <= SizeBytes)
        {
            return false;
        }
        int frameLength = BinaryPrimitives.ReadInt32BigEndian(payload[4..]);
        int offset = BinaryPrimitives.ReadInt32BigEndian(payload[8..]);
        byte gsoType = payload[12];
        ushort gsoSize = BinaryPrimitives.ReadUInt16BigEndian(payload[14..]);
        int pieceLength = payload.Length - SizeBytes;
        byte kind = (byte)(gsoType & ~Weave.Linux.VirtioNetHeader.GsoEcn);
        if (frameLength is <= 0 or > MaxFrameBytes || offset < 0 || pieceLength > frameLength - offset ||
            kind is not (Weave.Linux.VirtioNetHeader.GsoTcpV4 or Weave.Linux.VirtioNetHeader.GsoTcpV6) || gsoSize == 0 || payload[13] != 0)
        {
            return false;
        }
        header = new ChunkHeader(BinaryPrimitives.ReadUInt32BigEndian(payload), frameLength, offset, gsoType, gsoSize);
        return true;
    }
}
