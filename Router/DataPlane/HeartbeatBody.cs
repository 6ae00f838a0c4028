using System.Buffers.Binary;
using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// What a UDP heartbeat says, on both data ports: who sends it, to whom, and which of the
/// receiver's ports the sender has heard from lately. Sent as a sleeve datagram of kind
/// <see cref="SleeveKind.Heartbeat"/> on the sleeve port, and on the VXLAN port behind a VXLAN
/// header and an all-zero Ethernet header (as Weave's fastdp did: no real frame has zero MACs, so it
/// never reaches the bridge).
/// <code>
///   0                        6                        12      13
///  +------------------------+------------------------+-------+
///  | sender peer (48 bits)  | receiver peer (48)     | flags |   flags: 1 = heard your sleeve,
///  +------------------------+------------------------+-------+          2 = heard your VXLAN,
///                                                                       4 = your chunks arrive incomplete
/// </code>
/// Flag 4 goes only to a neighbour that sent us chunked super-frames (so one that knows it): more
/// than a tenth of them lacked a piece since our last heartbeat, and it should send segments for a
/// while (<see cref="Forwarder.ChunkPause"/>).
/// </summary>
public static class HeartbeatBody
{
    public const int SizeBytes = 13;

    public const byte HeardSleeve = 1;
    public const byte HeardVxlan = 2;
    public const byte LosingChunks = 4;
    private const byte KnownFlags = HeardSleeve | HeardVxlan | LosingChunks;

    /// <summary>A whole sleeve heartbeat datagram.</summary>
    public const int SleeveDatagramBytes = SleeveHeader.SizeBytes + SizeBytes;

    /// <summary>A whole VXLAN heartbeat datagram: VXLAN header, zero Ethernet header, body.</summary>
    public const int VxlanDatagramBytes = VxlanHeader.SizeBytes + EthernetFrame.HeaderSizeBytes + SizeBytes;

    public static void Write(Span<byte> destination, PeerName sender, PeerName receiver, byte flags)
    {
        sender.WriteBytes(destination);
        receiver.WriteBytes(destination[6..]);
        destination[12] = flags;
    }

    /// <summary>Reads a body from untrusted bytes: at least <see cref="SizeBytes"/>, no unknown flag.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out PeerName sender, out PeerName receiver, out byte flags)
    {
        sender = receiver = default;
        flags = 0;
        if (body.Length < SizeBytes || (body[12] & ~KnownFlags) != 0)
        {
            return false;
        }
        sender = PeerName.FromBytes(body[..PeerName.SizeBytes]);
        receiver = PeerName.FromBytes(body.Slice(6, PeerName.SizeBytes));
        flags = body[12];
        return true;
    }

    /// <summary>True when a frame received over VXLAN starts with the all-zero Ethernet header of a heartbeat.</summary>
    public static bool IsVxlanHeartbeat(ReadOnlySpan<byte> frame) =>
        frame.Length >= EthernetFrame.HeaderSizeBytes &&
        BinaryPrimitives.ReadUInt64LittleEndian(frame) == 0 &&
        BinaryPrimitives.ReadUInt32LittleEndian(frame[8..]) == 0 &&
        BinaryPrimitives.ReadUInt16LittleEndian(frame[12..]) == 0;
}
