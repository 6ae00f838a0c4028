using System.Buffers.Binary;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The VXLAN-port heartbeat of the kernel path: a real Ethernet frame, so that it crosses both
/// kernels as pods' frames do. The sender writes it into its VXLAN device, which sends it to the
/// receiver's host (an entry for the receiver's bridge MAC says where); the receiver's kernel puts it
/// on its bridge, which passes it up to the bridge device, since it is addressed to the bridge's
/// own MAC (<c>BridgeSetup.BridgeMac</c>), where the router reads it by its EtherType. It carries
/// the <see cref="HeartbeatBody"/> and the connection's shared id, which no pod knows: a pod can
/// send the bridge such a frame, but not one that passes.
/// <code>
///   0            6            12     14                   27                  35         60
///  +------------+------------+------+--------------------+-------------------+----------+
///  | dst: the   | src: the   | 88B5 | heartbeat body     | connection uid    | zero pad |
///  | receiver's | sender's   |      | (sender, receiver, | (64 bits, big     |          |
///  | bridge MAC | bridge MAC |      |  flags)            |  endian)          |          |
///  +------------+------------+------+--------------------+-------------------+----------+
/// </code>
/// </summary>
public static class ProbeFrame
{
    /// <summary>IEEE 802 local experimental EtherType 1: never a pod's protocol we route on.</summary>
    public const ushort EtherType = 0x88B5;

    /// <summary>The minimum Ethernet frame without its FCS, which a probe is padded to.</summary>
    public const int SizeBytes = 60;

    private const int BodyOffset = EthernetFrame.HeaderSizeBytes;
    private const int UidOffset = BodyOffset + HeartbeatBody.SizeBytes;

    public static void Write(Span<byte> destination, ulong receiverBridgeMac, ulong senderBridgeMac, PeerName sender, PeerName receiver,
        byte flags, ulong connectionUid)
    {
        Span<byte> frame = destination[..SizeBytes];
        frame.Clear();
        MacAddress48.Write(frame, receiverBridgeMac);
        MacAddress48.Write(frame[MacAddress48.SizeBytes..], senderBridgeMac);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType);
        HeartbeatBody.Write(frame[BodyOffset..], sender, receiver, flags);
        BinaryPrimitives.WriteUInt64BigEndian(frame[UidOffset..], connectionUid);
    }

    /// <summary>Reads a probe from untrusted bytes: its EtherType, its body (as
    /// <see cref="HeartbeatBody.TryRead"/> takes it) and the connection uid.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> body, out ulong connectionUid)
    {
        body = default;
        connectionUid = 0;
        if (frame.Length < UidOffset + sizeof(ulong) || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherType)
        {
            return false;
        }
        body = frame.Slice(BodyOffset, HeartbeatBody.SizeBytes);
        connectionUid = BinaryPrimitives.ReadUInt64BigEndian(frame[UidOffset..]);
        return true;
    }
}
