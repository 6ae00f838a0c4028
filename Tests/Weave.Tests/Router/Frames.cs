using System.Buffers.Binary;
using Weave.Linux;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router;

/// <summary>Builds Ethernet frames and VXLAN datagrams for data-plane tests.</summary>
internal static class Frames
{
    public const ulong Broadcast = 0xFFFF_FFFF_FFFF;

    public static byte[] Ethernet(ulong destination, ulong source, int payloadBytes = 46, byte fill = 0x5A)
    {
        byte[] frame = new byte[EthernetFrame.HeaderSizeBytes + payloadBytes];
        WriteMac(frame, destination);
        WriteMac(frame.AsSpan(6), source);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame.AsSpan(EthernetFrame.HeaderSizeBytes).Fill(fill);
        return frame;
    }

    public static byte[] Vxlan(int vni, byte[] frame)
    {
        byte[] datagram = new byte[VxlanHeader.SizeBytes + frame.Length];
        VxlanHeader.Write(datagram, vni);
        frame.CopyTo(datagram, VxlanHeader.SizeBytes);
        return datagram;
    }

    /// <summary>A batch of one frame as the TAP delivers it: at the headroom, with its offloads.</summary>
    public static PacketBatch FromBridge(byte[] frame, Weave.Linux.VirtioNetHeader offload = default)
    {
        var frames = new PacketBatch(1, allocateBuffers: true);
        frame.CopyTo(frames.Buffers[0], PacketBatch.Headroom);
        frames.Offsets[0] = PacketBatch.Headroom;
        frames.Lengths[0] = frame.Length;
        frames.Offloads[0] = offload;
        frames.Count = 1;
        return frames;
    }

    private static void WriteMac(Span<byte> destination, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)mac);
    }
}
