using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// Our "sleeve" encapsulation on UDP 6783 (the mesh port): for frames relayed through another
/// peer, where VXLAN cannot say who captured a frame and whom it is for.
/// <code>
///   0      1      2                         8                        14
///  +------+------+-------------------------+-------------------------+--------------------
///  | 0x57 | kind | source peer (48 bits)   | destination peer (48)   | Ethernet frame ...
///  +------+------+-------------------------+-------------------------+--------------------
/// </code>
/// Byte 0 is the magic and version ('W'; a new layout takes a new value). The source is the
/// peer that captured the frame from its bridge, the destination the peer it is for (a unicast
/// frame's owner, or the next peer of a flood). Names are big-endian, as peers write them.
/// The top bit of the kind byte says the rest is sealed (<see cref="Sealed"/>, docs/encryption.md):
/// <code>
///   sealed: header (14, kind | 0x80) | epoch and counter (8) | AEAD( frame or heartbeat ) | tag (16)
/// </code>
/// The header stays in clear so the receiver can tell what it is and whom it is for, and is the
/// AEAD's associated data, so it cannot be altered on the way.
/// </summary>
public readonly record struct SleeveHeader(SleeveKind Kind, PeerName Source, PeerName Destination, bool Sealed = false)
{
    public const int SizeBytes = 14;
    public const byte Magic = 0x57;

    /// <summary>The bit of byte 1 that marks a sealed datagram.</summary>
    public const byte SealedFlag = 0x80;

    /// <summary>Where the payload starts in a sealed datagram: the header and the sealer's epoch and counter.</summary>
    public const int SealedPayloadOffset = SizeBytes + Weave.Crypto.RecordFormat.DatagramHeaderSizeBytes;

    /// <summary>What a sealed datagram adds to its payload: the header, the epoch and counter, the tag.</summary>
    public const int SealedOverheadBytes = SizeBytes + Weave.Crypto.RecordFormat.DatagramOverheadBytes;

    /// <summary>Where the payload starts behind a header with this seal state.</summary>
    public static int PayloadOffset(bool isSealed) => isSealed ? SealedPayloadOffset : SizeBytes;

    /// <summary>UDP, IPv4 and outer Ethernet headers plus ours: what an underlay MTU loses.</summary>
    public const int OverheadIPv4Bytes = 14 + 20 + 8 + SizeBytes;

    public void Write(Span<byte> destination)
    {
        destination[0] = Magic;
        destination[1] = (byte)((byte)Kind | (Sealed ? SealedFlag : 0));
        Source.WriteBytes(destination[2..]);
        Destination.WriteBytes(destination[8..]);
    }

    /// <summary>
    /// True when <paramref name="datagram"/> starts with a header of a kind we know between two
    /// distinct peers; what follows it is not checked.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out SleeveHeader header)
    {
        header = default;
        if (datagram.Length < SizeBytes || datagram[0] != Magic)
        {
            return false;
        }
        bool isSealed = (datagram[1] & SealedFlag) != 0;
        var kind = (SleeveKind)(datagram[1] & ~SealedFlag);
        if (kind is not (SleeveKind.Unicast or SleeveKind.Flood or SleeveKind.Heartbeat or SleeveKind.Chunk))
        {
            return false;
        }
        PeerName source = PeerName.FromBytes(datagram.Slice(2, PeerName.SizeBytes));
        PeerName destination = PeerName.FromBytes(datagram.Slice(8, PeerName.SizeBytes));
        if (source == destination)
        {
            return false;
        }
        header = new SleeveHeader(kind, source, destination, isSealed);
        return true;
    }

    /// <summary>Rewrites only the destination of a header in place (a flood relayed to the next peer).</summary>
    public static void WriteDestination(Span<byte> header, PeerName destination) => destination.WriteBytes(header[8..]);
}
