using System.Buffers.Binary;

namespace Weave.Tests.Linux;

/// <summary>Builds TCP frames for the segmentation tests and checks checksums the slow, obvious
/// way (RFC 1071 word by word over an explicit pseudo-header), independently of InternetChecksum.</summary>
internal static class TcpFrames
{
    public static readonly byte[] SourceV4 = [10, 32, 0, 1];
    public static readonly byte[] DestinationV4 = [10, 32, 0, 2];
    public static readonly byte[] SourceV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] DestinationV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    public const byte Fin = 0x01;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Cwr = 0x80;

    /// <summary>An Ethernet + IP + TCP (with 12 bytes of options) frame whose payload byte i is
    /// (byte)(i * 7 + 3); checksums are left as garbage, as in a super-frame with a partial sum.</summary>
    public static byte[] Build(bool ipv6, int payloadLength, uint sequence, byte flags, ushort id = 0x1234, bool vlan = false)
    {
        int l2 = vlan ? 18 : 14;
        int ipHeader = ipv6 ? 40 : 20;
        const int TcpHeader = 32;
        byte[] frame = new byte[l2 + ipHeader + TcpHeader + payloadLength];
        frame.AsSpan(0, 6).Fill(0x02);
        frame.AsSpan(6, 6).Fill(0x04);
        if (vlan)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 42);
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l2 - 2), ipv6 ? (ushort)0x86dd : (ushort)0x0800);
        Span<byte> ip = frame.AsSpan(l2);
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(TcpHeader + payloadLength));
            ip[6] = 6;
            ip[7] = 64;
            SourceV6.CopyTo(ip[8..]);
            DestinationV6.CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipHeader + TcpHeader + payloadLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            ip[10] = 0xde;
            ip[11] = 0xad;
            SourceV4.CopyTo(ip[12..]);
            DestinationV4.CopyTo(ip[16..]);
        }
        Span<byte> tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 0x01020304);
        tcp[12] = (TcpHeader / 4) << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        tcp[16] = 0xbe;
        tcp[17] = 0xef;
        tcp[20] = 1; // NOP, NOP, timestamps
        tcp[21] = 1;
        tcp[22] = 8;
        tcp[23] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(tcp[24..], 0xa0b0c0d0);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[28..], 0x01020304);
        for (int i = 0; i < payloadLength; i++)
        {
            tcp[TcpHeader + i] = (byte)((i * 7) + 3);
        }
        return frame;
    }

    /// <summary>RFC 1071, one big-endian word at a time.</summary>
    public static ushort SlowChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            uint word = (uint)data[i] << 8;
            if (i + 1 < data.Length)
            {
                word |= data[i + 1];
            }
            sum += word;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>Whether the TCP checksum of the segment (TCP header + payload) is right, by summing
    /// an explicit pseudo-header and the segment: the total must fold to zero.</summary>
    public static bool TcpChecksumIsValid(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> tcpSegment)
    {
        byte[] pseudo;
        if (source.Length == 4)
        {
            pseudo = new byte[12 + tcpSegment.Length];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(4));
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)tcpSegment.Length);
            tcpSegment.CopyTo(pseudo.AsSpan(12));
        }
        else
        {
            pseudo = new byte[40 + tcpSegment.Length];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(16));
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)tcpSegment.Length);
            pseudo[39] = 6;
            tcpSegment.CopyTo(pseudo.AsSpan(40));
        }
        return SlowChecksum(pseudo) == 0;
    }
}
