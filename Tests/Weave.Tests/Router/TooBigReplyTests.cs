using System.Buffers.Binary;
using PacketDotNet;
using Weave.Router.DataPlane;
using Weave.Tests.Linux;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// The ICMP answers to packets too big for the overlay: golden bytes (headers and checksums
/// computed independently, with Python's struct and a plain RFC 1071 sum), parsed back with
/// PacketDotNet, and the cases where the RFCs forbid an answer.
/// </summary>
public sealed class TooBigReplyTests
{
    private const int Mtu = 1444;

    // Ethernet (dst = the sender's MAC, src = the original destination's), IPv4 (576 bytes, TTL 64,
    // ICMP, 10.32.0.2 → 10.32.0.1, checksum 0x647b), ICMP 3/4 (checksum 0x6101, MTU 0x05a4 = 1444).
    private const string GoldenIPv4Headers =
        "020000000001" + "020000000002" + "0800" +
        "45000240" + "00000000" + "4001647b" + "0a200002" + "0a200001" +
        "0304610100" + "0005a4";

    // Ethernet, IPv6 (payload 1240 = 0x04d8, next header 58, hop limit 64, fd00::2 → fd00::1),
    // ICMPv6 2/0 (checksum 0xecee over the pseudo-header, MTU 1444).
    private const string GoldenIPv6Headers =
        "020000000001" + "020000000002" + "86dd" +
        "60000000" + "04d83a40" + "fd000000000000000000000000000002" + "fd000000000000000000000000000001" +
        "0200ecee" + "000005a4";

    [Fact]
    public void TryWrite_IPv4WithDf_MatchesGoldenBytesAndQuotesUpTo576()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 1500);
        Assert.Equal("450005dc1234400040110e9b0a2000010a200002", Hex(frame.AsSpan(14, 20))); // the input is what the golden bytes assume

        byte[] reply = Reply(frame, Mtu);

        Assert.Equal(14 + 576, reply.Length);
        Assert.Equal(GoldenIPv4Headers, Hex(reply.AsSpan(0, 42)));
        Assert.Equal(frame.AsSpan(14, 548).ToArray(), reply.AsSpan(42).ToArray());
        Assert.Equal(0, TcpFrames.SlowChecksum(reply.AsSpan(14, 20)));
        Assert.Equal(0, TcpFrames.SlowChecksum(reply.AsSpan(34)));
    }

    [Fact]
    public void TryWrite_IPv4_ParsesAsFragmentationNeededWithTheMtu()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 1500);

        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, Reply(frame, Mtu));

        Assert.Equal("020000000001", ethernet.DestinationHardwareAddress.ToString().ToLowerInvariant());
        Assert.Equal("020000000002", ethernet.SourceHardwareAddress.ToString().ToLowerInvariant());
        var ip = Assert.IsType<IPv4Packet>(ethernet.PayloadPacket);
        Assert.True(ip.ValidIPChecksum);
        Assert.Equal("10.32.0.2", ip.SourceAddress.ToString());
        Assert.Equal("10.32.0.1", ip.DestinationAddress.ToString());
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(PacketDotNet.ProtocolType.Icmp, ip.Protocol);
        var icmp = Assert.IsType<IcmpV4Packet>(ip.PayloadPacket);
        Assert.Equal(IcmpV4TypeCode.UnreachableFragmentationNeeded, icmp.TypeCode);
        Assert.True(icmp.ValidIcmpChecksum);
        byte[] icmpBytes = icmp.Bytes;
        Assert.Equal(Mtu, BinaryPrimitives.ReadUInt16BigEndian(icmpBytes.AsSpan(6)));
    }

    [Fact]
    public void TryWrite_IPv6_MatchesGoldenBytesAndStopsAt1280()
    {
        byte[] frame = IpFrames.UdpV6(payloadLength: 1460);

        byte[] reply = Reply(frame, Mtu);

        Assert.Equal(14 + 1280, reply.Length);
        Assert.Equal(GoldenIPv6Headers, Hex(reply.AsSpan(0, 62)));
        Assert.Equal(frame.AsSpan(14, 1232).ToArray(), reply.AsSpan(62).ToArray());
        Assert.True(IcmpV6ChecksumIsValid(reply.AsSpan(14)));
    }

    [Fact]
    public void TryWrite_IPv6_ParsesAsPacketTooBig()
    {
        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, Reply(IpFrames.UdpV6(payloadLength: 1460), Mtu));

        var ip = Assert.IsType<IPv6Packet>(ethernet.PayloadPacket);
        Assert.Equal("fd00::2", ip.SourceAddress.ToString());
        Assert.Equal("fd00::1", ip.DestinationAddress.ToString());
        Assert.Equal(64, ip.HopLimit);
        var icmp = Assert.IsType<IcmpV6Packet>(ip.PayloadPacket);
        Assert.Equal(IcmpV6Type.PacketTooBig, icmp.Type);
        Assert.Equal(0, icmp.Code);
        Assert.Equal((uint)Mtu, BinaryPrimitives.ReadUInt32BigEndian(icmp.Bytes.AsSpan(4)));
    }

    [Fact]
    public void TryWrite_SmallPacket_QuotesItWhole()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 100);

        byte[] reply = Reply(frame, 576);

        Assert.Equal(14 + 20 + 8 + 100, reply.Length);
        Assert.Equal(frame.AsSpan(14).ToArray(), reply.AsSpan(42).ToArray());
        Assert.Equal(576, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(40)));
        Assert.Equal(0, TcpFrames.SlowChecksum(reply.AsSpan(34)));
    }

    [Fact]
    public void TryWrite_VlanTaggedFrame_KeepsTheTag()
    {
        byte[] frame = TcpFrames.Build(ipv6: false, payloadLength: 2000, sequence: 1, flags: TcpFrames.Ack, vlan: true);

        byte[] reply = Reply(frame, Mtu);

        Assert.Equal(frame.AsSpan(12, 6).ToArray(), reply.AsSpan(12, 6).ToArray()); // 0x8100, VLAN 42, 0x0800
        Assert.Equal(frame.AsSpan(0, 6).ToArray(), reply.AsSpan(6, 6).ToArray());
        Assert.Equal(frame.AsSpan(6, 6).ToArray(), reply.AsSpan(0, 6).ToArray());
        Assert.Equal(18 + 576, reply.Length);
        Assert.Equal(0, TcpFrames.SlowChecksum(reply.AsSpan(18, 20)));
        Assert.Equal(0, TcpFrames.SlowChecksum(reply.AsSpan(38)));
    }

    [Fact]
    public void TryWrite_IcmpEchoRequest_IsAnswered()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 1500, protocol: 1, firstPayloadByte: 8);

        Assert.True(TooBigReply.TryWrite(frame, Mtu, new byte[TooBigReply.MaxFrameBytes], out _));
    }

    public static TheoryData<string, byte[]> Forbidden => new()
    {
        { "broadcast Ethernet destination", With(IpFrames.UdpV4(1500), f => f.AsSpan(0, 6).Fill(0xff)) },
        { "multicast Ethernet source", With(IpFrames.UdpV4(1500), f => f[6] = 0x01) },
        { "source 0.0.0.0", With(IpFrames.UdpV4(1500), f => f.AsSpan(26, 4).Clear()) },
        { "source 127.0.0.1", With(IpFrames.UdpV4(1500), f => f[26] = 127) },
        { "destination 224.0.0.1", With(IpFrames.UdpV4(1500), f => f[30] = 224) },
        { "destination 255.255.255.255", With(IpFrames.UdpV4(1500), f => f.AsSpan(30, 4).Fill(0xff)) },
        { "a non-initial fragment", With(IpFrames.UdpV4(1500), f => f[21] = 0x10) },
        { "an ICMP error", IpFrames.UdpV4(1500, protocol: 1, firstPayloadByte: 3) },
        { "a header length below 20", With(IpFrames.UdpV4(1500), f => f[14] = 0x44) },
        { "a total length below the header", With(IpFrames.UdpV4(1500), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 10)) },
        { "IPv6 source ::", With(IpFrames.UdpV6(1460), f => f.AsSpan(22, 16).Clear()) },
        { "IPv6 multicast destination", With(IpFrames.UdpV6(1460), f => f[38] = 0xff) },
        { "an ICMPv6 error", With(IpFrames.UdpV6(1460), f => { f[20] = 58; f[54] = 1; }) },
        { "ARP", With(IpFrames.UdpV4(1500), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806)) },
        { "IPv4 EtherType, version 6", With(IpFrames.UdpV4(1500), f => f[14] = 0x65) },
        { "too short for IPv4", IpFrames.UdpV4(1500).AsSpan(0, 30).ToArray() },
        { "too short for Ethernet", new byte[10] },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void TryWrite_WhereNoAnswerIsAllowed_ReturnsFalse(string why, byte[] frame)
    {
        Assert.False(TooBigReply.TryWrite(frame, Mtu, new byte[TooBigReply.MaxFrameBytes], out int length), why);
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryWrite_BadArguments_Throw()
    {
        byte[] frame = IpFrames.UdpV4(1500);
        Assert.Throws<ArgumentOutOfRangeException>(() => TooBigReply.TryWrite(frame, 67, new byte[TooBigReply.MaxFrameBytes], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => TooBigReply.TryWrite(frame, 65536, new byte[TooBigReply.MaxFrameBytes], out _));
        Assert.Throws<ArgumentException>(() => TooBigReply.TryWrite(frame, Mtu, new byte[TooBigReply.MaxFrameBytes - 1], out _));
    }

    private static byte[] Reply(byte[] frame, int mtu)
    {
        byte[] buffer = new byte[TooBigReply.MaxFrameBytes];
        Assert.True(TooBigReply.TryWrite(frame, mtu, buffer, out int length));
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Sums the ICMPv6 message with an explicit pseudo-header (RFC 8200 8.1): zero when right.</summary>
    private static bool IcmpV6ChecksumIsValid(ReadOnlySpan<byte> ipv6)
    {
        int length = BinaryPrimitives.ReadUInt16BigEndian(ipv6[4..]);
        byte[] pseudo = new byte[40 + length];
        ipv6.Slice(8, 32).CopyTo(pseudo);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)length);
        pseudo[39] = 58;
        ipv6.Slice(40, length).CopyTo(pseudo.AsSpan(40));
        return TcpFrames.SlowChecksum(pseudo) == 0;
    }

    private static byte[] With(byte[] frame, Action<byte[]> change)
    {
        change(frame);
        return frame;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
