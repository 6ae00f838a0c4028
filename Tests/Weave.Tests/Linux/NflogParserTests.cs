using System.Net;
using Weave.Linux;
using Weave.Linux.Netfilter;
using Xunit;
using static Weave.Linux.Netfilter.NflogConstants;
using static Weave.Tests.Linux.NflogMessages;

namespace Weave.Tests.Linux;

/// <summary>The NFLOG packet parser on hand-built messages and one the kernel sent: what it reads,
/// and every kind of malformed message refused with a reason, never an exception.</summary>
public sealed class NflogParserTests
{
    /// <summary>From this kernel (6.18): <c>log group 7 prefix "probe"</c> on an inet output chain,
    /// a UDP datagram "hello" from 192.0.2.1:40885 to 192.0.2.1:5353, with NFULA_OUTDEV, UID and GID.</summary>
    private const string CapturedUdp =
        "680000000004000000000000000000000200000708000100080003000a000a0070726f6265000000080005000000000108000b0000000000" +
        "08000e000000000025000900450000219142400040112587c0000201c00002019fb514e9000d842168656c6c6f000000";

    [Fact]
    public void TryParse_AMessageFromThisKernel_GivesPrefixAddressesAndPorts()
    {
        LoggedPacket packet = Parse(Convert.FromHexString(CapturedUdp));

        Assert.Equal(new LoggedPacket("probe", IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.1"),
            LoggedProtocol.Udp, Udp, HasPorts: true, 40885, 5353), packet);
        Assert.Equal("probe: UDP 192.0.2.1:40885 -> 192.0.2.1:5353", packet.ToString());
    }

    [Fact]
    public void TryParse_Ipv4Tcp_ReadsAddressesProtocolAndPorts()
    {
        byte[] payload = Ipv4("10.32.0.2", "10.32.0.3", Tcp, Ports(40000, 5432));

        LoggedPacket packet = Parse(Packet(NFPROTO_IPV4, "in.prod.db", payload));

        Assert.Equal(new LoggedPacket("in.prod.db", IPAddress.Parse("10.32.0.2"), IPAddress.Parse("10.32.0.3"),
            LoggedProtocol.Tcp, Tcp, HasPorts: true, 40000, 5432), packet);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, packet.Family);
    }

    [Fact]
    public void TryParse_Ipv6Udp_ReadsAddressesProtocolAndPorts()
    {
        byte[] payload = Ipv6("fd00::11", "fd00::12", Udp, Ports(5353, 53, length: 8));

        LoggedPacket packet = Parse(Packet(NFPROTO_IPV6, "eg.prod.web", payload));

        Assert.Equal(new LoggedPacket("eg.prod.web", IPAddress.Parse("fd00::11"), IPAddress.Parse("fd00::12"),
            LoggedProtocol.Udp, Udp, HasPorts: true, 5353, 53), packet);
        Assert.Equal("eg.prod.web: UDP [fd00::11]:5353 -> [fd00::12]:53", packet.ToString());
    }

    [Fact]
    public void TryParse_Sctp_HasPorts_AndIcmp_IsOtherWithout()
    {
        LoggedPacket sctp = Parse(Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", Sctp, Ports(3868, 3869, 12))));
        LoggedPacket icmp = Parse(Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", 1, Ports(0x0800, 1, 8))));

        Assert.Equal((LoggedProtocol.Sctp, true, (ushort)3868, (ushort)3869), (sctp.Protocol, sctp.HasPorts, sctp.SourcePort, sctp.DestinationPort));
        Assert.Equal((LoggedProtocol.Other, (byte)1, false, (ushort)0), (icmp.Protocol, icmp.ProtocolNumber, icmp.HasPorts, icmp.SourcePort));
        Assert.Equal("p: protocol 1 10.0.0.1 -> 10.0.0.2", icmp.ToString());
    }

    [Fact]
    public void TryParse_Ipv4WithOptions_FindsThePortsAfterThem()
    {
        LoggedPacket packet = Parse(Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2), optionBytes: 40)));

        Assert.Equal((true, (ushort)1, (ushort)2), (packet.HasPorts, packet.SourcePort, packet.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv4LaterFragment_HasNoPorts()
    {
        LoggedPacket packet = Parse(Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", Udp, Ports(1, 2), fragmentOffset: 185)));

        Assert.Equal((LoggedProtocol.Udp, false), (packet.Protocol, packet.HasPorts));
    }

    [Fact]
    public void TryParse_CopyCutBeforeThePorts_GivesThePacketWithoutPorts()
    {
        byte[] payload = Ipv4("10.0.0.1", "10.0.0.2", Tcp, [0x9c, 0x40, 0x15], totalExtra: 1000);

        LoggedPacket packet = Parse(Packet(NFPROTO_IPV4, "p", payload));

        Assert.Equal((LoggedProtocol.Tcp, false, IPAddress.Parse("10.0.0.2")), (packet.Protocol, packet.HasPorts, packet.Destination));
    }

    [Fact]
    public void TryParse_Ipv4TotalLengthEndingBeforeThePorts_GivesNoPorts()
    {
        // Bytes past the total length are not the packet's (the copy may hold padding).
        byte[] payload = Ipv4("10.0.0.1", "10.0.0.2", Udp, Ports(1, 2), totalExtra: -20);

        Assert.False(Parse(Packet(NFPROTO_IPV4, "p", payload)).HasPorts);
    }

    [Fact]
    public void TryParse_Ipv6ExtensionHeaders_AreWalkedToTheTransportHeader()
    {
        byte[] hopByHop = [Fragment, 0, 1, 4, 0, 0, 0, 0];      // next: fragment; 8 bytes (a PadN option)
        byte[] firstFragment = [Tcp, 0, 0, 1, 0, 0, 0, 42];  // offset 0, more fragments
        byte[] payload = Ipv6("fd00::1", "fd00::2", 0, [.. hopByHop, .. firstFragment, .. Ports(1234, 80)]);

        LoggedPacket packet = Parse(Packet(NFPROTO_IPV6, "p", payload));

        Assert.Equal((LoggedProtocol.Tcp, true, (ushort)1234, (ushort)80), (packet.Protocol, packet.HasPorts, packet.SourcePort, packet.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv6LaterFragment_HasTheProtocolButNoPorts()
    {
        byte[] laterFragment = [Udp, 0, 0x05, 0xa8, 0, 0, 0, 42]; // offset 181 x 8 bytes
        LoggedPacket packet = Parse(Packet(NFPROTO_IPV6, "p", Ipv6("fd00::1", "fd00::2", Fragment, [.. laterFragment, .. Ports(1, 2)])));

        Assert.Equal((LoggedProtocol.Udp, false), (packet.Protocol, packet.HasPorts));
    }

    [Fact]
    public void TryParse_Ipv6CopyEndingInsideAnExtensionHeader_GivesOtherWithoutPorts()
    {
        byte[] routing = [Tcp, 2, 0, 0, 0, 0, 0, 0]; // says 24 bytes; only 8 copied
        LoggedPacket packet = Parse(Packet(NFPROTO_IPV6, "p", Ipv6("fd00::1", "fd00::2", 43, routing)));

        Assert.Equal((LoggedProtocol.Other, (byte)43, false), (packet.Protocol, packet.ProtocolNumber, packet.HasPorts));
    }

    [Fact]
    public void TryParse_BridgeFamily_TakesTheVersionFromTheHardwareProtocol()
    {
        const byte NFPROTO_BRIDGE = 7;
        byte[] payload = Ipv6("fd00::1", "fd00::2", Udp, Ports(1, 2, 8));

        Assert.Equal(LoggedProtocol.Udp, Parse(Packet(NFPROTO_BRIDGE, "p", payload, ETH_P_IPV6)).Protocol);
        Assert.Contains("neither IPv4 nor IPv6", Refusal(Packet(NFPROTO_BRIDGE, "p", payload, hardwareProtocol: 0x0806)), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_SamePrefixAgain_ReturnsTheSameString()
    {
        var prefixes = new PrefixCache();
        byte[] message = Packet(NFPROTO_IPV4, "in.prod.db", Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)));

        Assert.True(NflogParser.TryParse(message, prefixes, out LoggedPacket first, out _));
        Assert.True(NflogParser.TryParse(message, prefixes, out LoggedPacket second, out _));

        Assert.Same(first.Prefix, second.Prefix);
        Assert.Equal(1, prefixes.Count);
    }

    [Fact]
    public void TryParse_MissingPrefix_IsRefused() =>
        Assert.Equal("the message has no NFULA_PREFIX",
            Refusal(Packet(NFPROTO_IPV4, prefix: null, Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)))));

    [Fact]
    public void TryParse_MissingPayload_IsRefused() =>
        Assert.Equal("the message has no NFULA_PAYLOAD (the group is not in copy-packet mode)",
            Refusal(Packet(NFPROTO_IPV4, "p", payload: null)));

    [Fact]
    public void TryParse_EmptyPrefix_IsAccepted() =>
        Assert.Equal("", Parse(Packet(NFPROTO_IPV4, "", Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)))).Prefix);

    [Theory]
    [InlineData("prefix without NUL", "NFULA_PREFIX is not NUL-terminated")]
    [InlineData("prefix of 128 bytes", "NFULA_PREFIX is 128 bytes long, over the kernel's 127")]
    [InlineData("prefix with a newline", "NFULA_PREFIX is not printable ASCII")]
    [InlineData("prefix in UTF-8", "NFULA_PREFIX is not printable ASCII")]
    public void TryParse_BadPrefix_IsRefused(string what, string reason)
    {
        byte[] value = what switch
        {
            "prefix without NUL" => "probe"u8.ToArray(),
            "prefix of 128 bytes" => [.. Enumerable.Repeat((byte)'a', 128), 0],
            "prefix with a newline" => "in\nx\0"u8.ToArray(),
            _ => "caf\u00e9\0"u8.ToArray(),
        };
        byte[] buffer = new byte[512];
        var message = new NetlinkMessage(buffer, PacketMessageType, 0, 0);
        message.WriteNfGenMsg(NFPROTO_IPV4, 7);
        message.AddAttribute(NFULA_PREFIX, value);
        message.AddAttribute(NFULA_PAYLOAD, Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)));

        Assert.Equal(reason, Refusal(message.Finish().ToArray()));
    }

    [Theory]
    [InlineData(4, 0, "the payload is empty")]
    [InlineData(4, 19, "the IPv4 header is cut short at 19 bytes")]
    [InlineData(6, 39, "the IPv6 header is cut short at 39 bytes")]
    [InlineData(4, 30, "the IPv4 header length 60 does not fit the 30 bytes copied and total length 80")]
    public void TryParse_TruncatedPayload_IsRefused(int version, int copied, string reason)
    {
        byte[] payload = version == 4
            ? Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2), optionBytes: copied > 20 ? 40 : 0)
            : Ipv6("fd00::1", "fd00::2", Udp, Ports(1, 2, 8));

        Assert.Equal(reason, Refusal(Packet(version == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, "p", payload[..copied])));
    }

    [Fact]
    public void TryParse_Ipv4HeaderLengthBelowTwentyOrAboveTotal_IsRefused()
    {
        byte[] shortHeader = Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2));
        shortHeader[0] = 0x44;
        byte[] smallTotal = Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2), totalExtra: -30);

        Assert.Contains("IPv4 header length 16", Refusal(Packet(NFPROTO_IPV4, "p", shortHeader)), StringComparison.Ordinal);
        Assert.Contains("total length 10", Refusal(Packet(NFPROTO_IPV4, "p", smallTotal)), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_VersionDisagreeingWithTheFamily_IsRefused() =>
        Assert.Equal("the payload is IP version 6, the message says 4",
            Refusal(Packet(NFPROTO_IPV4, "p", Ipv6("fd00::1", "fd00::2", Udp, Ports(1, 2, 8)))));

    [Fact]
    public void TryParse_AttributeLongerThanTheMessage_IsRefused()
    {
        byte[] message = Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)));
        message[20] = 0xff; // NFULA_PACKET_HDR's nla_len, the first attribute after nlmsghdr (16) and nfgenmsg (4)

        Assert.Equal("an attribute's length does not fit the message", Refusal(message));
    }

    [Fact]
    public void TryParse_AttributeLengthBelowItsHeader_IsRefused()
    {
        byte[] message = Packet(NFPROTO_IPV4, "p", Ipv4("10.0.0.1", "10.0.0.2", Tcp, Ports(1, 2)));
        message[20] = 3;

        Assert.Equal("an attribute's length does not fit the message", Refusal(message));
    }

    [Fact]
    public void TryParse_ShortPacketHeaderAttribute_IsRefused()
    {
        byte[] buffer = new byte[512];
        var message = new NetlinkMessage(buffer, PacketMessageType, 0, 0);
        message.WriteNfGenMsg(NFPROTO_IPV4, 7);
        message.AddAttribute(NFULA_PACKET_HDR, [0x08, 0x00]);

        Assert.Equal("NFULA_PACKET_HDR has 2 bytes, not 4", Refusal(message.Finish().ToArray()));
    }

    [Theory]
    [InlineData(0, "the netlink header does not frame the 0-byte message")]
    [InlineData(15, "the netlink header does not frame the 15-byte message")]
    [InlineData(18, "the netlink header does not frame the 18-byte message")]
    public void TryParse_CutNetlinkHeader_IsRefused(int length, string reason) =>
        Assert.Equal(reason, Refusal(Convert.FromHexString(CapturedUdp)[..length]));

    [Fact]
    public void TryParse_NfgenmsgMissing_IsRefused()
    {
        byte[] message = Convert.FromHexString(CapturedUdp)[..18];
        message[0] = 18;

        Assert.Equal("the message is too short for its nfgenmsg", Refusal(message));
    }

    [Fact]
    public void TryParse_ConfigMessage_IsRefused()
    {
        byte[] message = Convert.FromHexString(CapturedUdp);
        message[4] = NFULNL_MSG_CONFIG;

        Assert.Equal("message type 0x0401 is not an NFLOG packet (0x0400)", Refusal(message));
    }

    private static LoggedPacket Parse(byte[] message)
    {
        Assert.True(NflogParser.TryParse(message, new PrefixCache(), out LoggedPacket packet, out string? refusal), refusal);
        return packet;
    }

    private static string Refusal(byte[] message)
    {
        Assert.False(NflogParser.TryParse(message, new PrefixCache(), out _, out string? refusal));
        return refusal;
    }

    private const byte Fragment = 44;
}
