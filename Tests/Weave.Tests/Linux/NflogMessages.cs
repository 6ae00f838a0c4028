using System.Buffers.Binary;
using System.Net;
using System.Text;
using Weave.Linux;
using static Weave.Linux.Netfilter.NflogConstants;

namespace Weave.Tests.Linux;

/// <summary>NFULNL_MSG_PACKET messages and the IP packets they carry, built by hand as the kernel
/// lays them out (a capture from this kernel is in <see cref="NflogParserTests"/>).</summary>
internal static class NflogMessages
{
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Sctp = 132;

    /// <summary>A packet message; null leaves the prefix or payload attribute out.</summary>
    public static byte[] Packet(byte family, string? prefix, byte[]? payload, ushort hardwareProtocol = 0, ushort group = 7)
    {
        byte[] buffer = new byte[1024];
        var message = new NetlinkMessage(buffer, PacketMessageType, 0, 0);
        message.WriteNfGenMsg(family, group);
        byte[] header = new byte[NfulnlMsgPacketHdrSize];
        BinaryPrimitives.WriteUInt16BigEndian(header, hardwareProtocol != 0 ? hardwareProtocol : family == NFPROTO_IPV6 ? ETH_P_IPV6 : ETH_P_IP);
        header[2] = 3; // NF_INET_LOCAL_OUT
        message.AddAttribute(NFULA_PACKET_HDR, header);
        if (prefix is not null)
        {
            message.AddAttribute(NFULA_PREFIX, [.. Encoding.ASCII.GetBytes(prefix), 0]);
        }
        message.AddUInt32(NFULA_IFINDEX_OUTDEV, BinaryPrimitives.ReverseEndianness(1u));
        if (payload is not null)
        {
            message.AddAttribute(NFULA_PAYLOAD, payload);
        }
        return message.Finish().ToArray();
    }

    /// <summary>An IPv4 packet: 20-byte header (more with <paramref name="optionBytes"/>), then
    /// <paramref name="transport"/>; the total length counts <paramref name="totalExtra"/> more bytes
    /// than are given, as a copy cut at the copy range has.</summary>
    public static byte[] Ipv4(string source, string destination, byte protocol, byte[] transport, int optionBytes = 0, ushort fragmentOffset = 0, int totalExtra = 0)
    {
        int headerBytes = 20 + optionBytes;
        byte[] packet = new byte[headerBytes + transport.Length];
        packet[0] = (byte)(0x40 | (headerBytes / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length + totalExtra));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), fragmentOffset);
        packet[8] = 64;
        packet[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 16);
        transport.CopyTo(packet, headerBytes);
        return packet;
    }

    /// <summary>An IPv6 packet whose next header is <paramref name="nextHeader"/>, then <paramref name="rest"/>
    /// (extension headers, if any, and the transport header).</summary>
    public static byte[] Ipv6(string source, string destination, byte nextHeader, byte[] rest)
    {
        byte[] packet = new byte[40 + rest.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)rest.Length);
        packet[6] = nextHeader;
        packet[7] = 64;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 8);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 24);
        rest.CopyTo(packet, 40);
        return packet;
    }

    /// <summary>The first bytes of a TCP, UDP or SCTP header: the ports, then zeros to <paramref name="length"/>.</summary>
    public static byte[] Ports(ushort source, ushort destination, int length = 20)
    {
        byte[] header = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(header, source);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destination);
        return header;
    }
}
