using System.Buffers.Binary;
using Weave.Tests.Linux;

namespace Weave.Tests.Router;

/// <summary>UDP over IPv4 or IPv6 between two pods (MAC 02:..:01 → 02:..:02), for the MTU tests.</summary>
internal static class IpFrames
{
    public const ulong SourceMac = 0x0200_0000_0001;
    public const ulong DestinationMac = 0x0200_0000_0002;

    private static readonly byte[] s_sourceV4 = [10, 32, 0, 1];
    private static readonly byte[] s_destinationV4 = [10, 32, 0, 2];

    /// <summary>IPv4 10.32.0.1 → 10.32.0.2 with DF (unless <paramref name="dontFragment"/> is false),
    /// ID 0x1234, TTL 64, a correct header checksum, then UDP 40000 → 5201 (unless another
    /// protocol) and bytes (i * 7 + 3).</summary>
    public static byte[] UdpV4(int totalLength, byte protocol = 17, byte? firstPayloadByte = null, bool dontFragment = true)
    {
        byte[] frame = new byte[14 + totalLength];
        WriteMacs(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
        ip[6] = dontFragment ? (byte)0x40 : (byte)0;
        ip[8] = 64;
        ip[9] = protocol;
        s_sourceV4.CopyTo(ip[12..]);
        s_destinationV4.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], TcpFrames.SlowChecksum(ip[..20]));
        FillUdp(ip[20..]);
        if (firstPayloadByte is byte first)
        {
            ip[20] = first;
        }
        return frame;
    }

    /// <summary>IPv6 fd00::1 → fd00::2, hop limit 64, UDP 40000 → 5201, bytes (i * 7 + 3).</summary>
    public static byte[] UdpV6(int payloadLength)
    {
        byte[] frame = new byte[14 + 40 + payloadLength];
        WriteMacs(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x86dd);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)payloadLength);
        ip[6] = 17;
        ip[7] = 64;
        TcpFrames.SourceV6.CopyTo(ip[8..]);
        TcpFrames.DestinationV6.CopyTo(ip[24..]);
        FillUdp(ip[40..]);
        return frame;
    }

    private static void WriteMacs(byte[] frame)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)(DestinationMac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(2), (uint)(DestinationMac & uint.MaxValue));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(6), (ushort)(SourceMac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), (uint)(SourceMac & uint.MaxValue));
    }

    /// <summary>A UDP header (40000 → 5201, the datagram's length, checksum 0) and payload bytes (i * 7 + 3).</summary>
    private static void FillUdp(Span<byte> datagram)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], 5201);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], (ushort)datagram.Length);
        for (int i = 8; i < datagram.Length; i++)
        {
            datagram[i] = (byte)(((i - 8) * 7) + 3);
        }
    }
}
