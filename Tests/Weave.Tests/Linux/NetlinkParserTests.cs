using Weave.Linux;
using Xunit;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Linux;

/// <summary>The reply parser on hand-built bytes: malformed input makes Try* return false, never throw.</summary>
public sealed class NetlinkParserTests
{
    [Fact]
    public void TryReadMessage_SplitsTwoMessagesOfADatagram()
    {
        byte[] datagram = [.. Message(NLMSG_ERROR, 1, [0, 0, 0, 0]), .. Message(NLMSG_DONE, 2, [0, 0, 0, 0])];
        ReadOnlySpan<byte> rest = datagram;

        Assert.True(NetlinkParser.TryReadMessage(ref rest, out NetlinkHeader first, out ReadOnlySpan<byte> firstPayload));
        Assert.True(NetlinkParser.TryReadMessage(ref rest, out NetlinkHeader second, out _));

        Assert.Equal((NLMSG_ERROR, 1u, 4), (first.Type, first.Sequence, firstPayload.Length));
        Assert.Equal((NLMSG_DONE, 2u), (second.Type, second.Sequence));
        Assert.True(rest.IsEmpty);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public void TryReadMessage_TruncatedHeader_ReturnsFalse(int length)
    {
        ReadOnlySpan<byte> datagram = Message(NLMSG_DONE, 1, [0, 0, 0, 0]).AsSpan(0, length);
        Assert.False(NetlinkParser.TryReadMessage(ref datagram, out _, out _));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(15u)]
    [InlineData(21u)]
    [InlineData(0xffffffffu)]
    public void TryReadMessage_LengthOutsideTheDatagram_ReturnsFalse(uint nlmsgLen)
    {
        byte[] bytes = Message(NLMSG_DONE, 1, [0, 0, 0, 0]);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), nlmsgLen);
        ReadOnlySpan<byte> datagram = bytes;
        Assert.False(NetlinkParser.TryReadMessage(ref datagram, out _, out _));
    }

    [Fact]
    public void TryReadAttribute_LastAttributeWithoutPadding_IsAccepted()
    {
        ReadOnlySpan<byte> attributes = [5, 0, 1, 0, 0xaa];
        Assert.True(NetlinkParser.TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value));
        Assert.Equal(1, type);
        Assert.Equal(new byte[] { 0xaa }, value.ToArray());
        Assert.True(attributes.IsEmpty);
    }

    [Theory]
    [InlineData(new byte[] { 8, 0 })]                  // header cut short
    [InlineData(new byte[] { 3, 0, 1, 0 })]            // rta_len below the header size
    [InlineData(new byte[] { 9, 0, 1, 0, 1, 2, 3, 4 })] // rta_len past the end
    public void TryReadAttribute_BadLength_ReturnsFalse(byte[] bytes)
    {
        ReadOnlySpan<byte> attributes = bytes;
        Assert.False(NetlinkParser.TryReadAttribute(ref attributes, out _, out _));
    }

    [Fact]
    public void TryReadAttribute_MasksNestedAndByteOrderFlags()
    {
        ReadOnlySpan<byte> attributes = [4, 0, 18, 0xc0];
        Assert.True(NetlinkParser.TryReadAttribute(ref attributes, out ushort type, out _));
        Assert.Equal(IFLA_LINKINFO, type);
    }

    [Fact]
    public void TryParseLink_TruncatedIfInfoMsg_ReturnsFalse()
    {
        byte[] payload = LinkPayload(1, "lo", null, 65536, 0, up: true);
        for (int length = 0; length < IfInfoMsgSize; length++)
        {
            Assert.False(NetlinkParser.TryParseLink(payload.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void TryParseLink_EveryTruncation_NeverThrows()
    {
        byte[] payload = LinkPayload(4, "wvbr0", "bridge", 1500, 0, up: false);
        for (int length = 0; length <= payload.Length; length++)
        {
            _ = NetlinkParser.TryParseLink(payload.AsSpan(0, length), out _);
        }
        Assert.True(NetlinkParser.TryParseLink(payload, out _));
    }

    [Fact]
    public void TryParseLink_RandomCorruption_NeverThrows()
    {
        var random = new Random(20240601);
        byte[] original = LinkPayload(4, "wvbr0", "bridge", 1500, 2, up: true);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] corrupt = (byte[])original.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            }
            int length = random.Next(corrupt.Length + 1);
            if (NetlinkParser.TryParseLink(corrupt.AsSpan(0, length), out LinkInfo? link))
            {
                Assert.True(link.Index > 0);
                Assert.False(string.IsNullOrEmpty(link.Name));
            }
        }
    }

    [Fact]
    public void TryParseLink_NestedLinkInfoWithBadLength_ReturnsFalse()
    {
        byte[] payload = [.. IfInfoMsg(3), .. Attribute(IFLA_IFNAME, "x\0"u8), .. Attribute(IFLA_LINKINFO, [9, 0, 1, 0, (byte)'b', 0, 0, 0])];
        Assert.False(NetlinkParser.TryParseLink(payload, out _));
    }

    [Fact]
    public void TryParseLink_ShortMtu_ReturnsFalse()
    {
        byte[] payload = [.. IfInfoMsg(3), .. Attribute(IFLA_IFNAME, "x\0"u8), .. Attribute(IFLA_MTU, [0xdc, 0x05])];
        Assert.False(NetlinkParser.TryParseLink(payload, out _));
    }

    [Fact]
    public void TryParseLink_MissingNameOrZeroIndex_ReturnsFalse()
    {
        Assert.False(NetlinkParser.TryParseLink([.. IfInfoMsg(3), .. Attribute(IFLA_MTU, [0xdc, 0x05, 0, 0])], out _));
        Assert.False(NetlinkParser.TryParseLink([.. IfInfoMsg(0), .. Attribute(IFLA_IFNAME, "x\0"u8)], out _));
    }

    [Fact]
    public void TryParseLink_NameWithoutNul_IsReadToTheAttributeEnd()
    {
        Assert.True(NetlinkParser.TryParseLink([.. IfInfoMsg(3), .. Attribute(IFLA_IFNAME, "eth0"u8)], out LinkInfo? link));
        Assert.Equal("eth0", link.Name);
        Assert.Null(link.Kind);
        Assert.Empty(link.MacAddress);
    }

    [Fact]
    public void TryParseError_AckAndErrno()
    {
        Assert.True(NetlinkParser.TryParseError([0, 0, 0, 0], 0, out int ack, out _));
        Assert.Equal(0, ack);
        Assert.True(NetlinkParser.TryParseError(BitConverter.GetBytes(-17), 0, out int exists, out _));
        Assert.Equal(17, exists);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xef, 0xff })]
    [InlineData(new byte[] { 1, 0, 0, 0 })] // a positive error is not something the kernel sends
    public void TryParseError_Malformed_ReturnsFalse(byte[] payload)
    {
        Assert.False(NetlinkParser.TryParseError(payload, 0, out _, out _));
    }

    [Fact]
    public void TryParseError_ExtendedAck_ReadsTheKernelMessage()
    {
        // error -22, the capped echo of the request's nlmsghdr, then NLMSGERR_ATTR_MSG.
        byte[] payload = [.. BitConverter.GetBytes(-22), .. new byte[16], .. Attribute(NLMSGERR_ATTR_MSG, "Unknown device type\0"u8)];

        Assert.True(NetlinkParser.TryParseError(payload, NLM_F_CAPPED | NLM_F_ACK_TLVS, out int errno, out string? text));

        Assert.Equal(22, errno);
        Assert.Equal("Unknown device type", text);
    }

    [Fact]
    public void TryParseError_ExtendedAckWithBadEchoLength_StillReturnsTheErrno()
    {
        byte[] payload = [.. BitConverter.GetBytes(-22), .. BitConverter.GetBytes(0x7fffffff), .. new byte[12]];
        Assert.True(NetlinkParser.TryParseError(payload, NLM_F_ACK_TLVS, out int errno, out string? text));
        Assert.Equal(22, errno);
        Assert.Null(text);
    }

    [Fact]
    public void TryParseDone_EmptyOrErrno()
    {
        Assert.True(NetlinkParser.TryParseDone([], out int none));
        Assert.Equal(0, none);
        Assert.True(NetlinkParser.TryParseDone(BitConverter.GetBytes(-4), out int interrupted));
        Assert.Equal(4, interrupted);
        Assert.False(NetlinkParser.TryParseDone([1, 2], out _));
    }

    /// <summary>An RTM_NEWLINK payload built with the encoder, as the kernel would send it.</summary>
    internal static byte[] LinkPayload(int index, string name, string? kind, int mtu, int master, bool up)
    {
        byte[] buffer = new byte[512];
        var message = new NetlinkMessage(buffer, RTM_NEWLINK, 0, 1);
        message.WriteIfInfoMsg(index, up ? IFF_UP : 0);
        message.AddString(IFLA_IFNAME, name);
        message.AddUInt32(IFLA_MTU, (uint)mtu);
        message.AddAttribute(IFLA_ADDRESS, [2, 0, 0, 0, 0, (byte)index]);
        if (master != 0)
        {
            message.AddUInt32(IFLA_MASTER, (uint)master);
        }
        if (kind is not null)
        {
            int nest = message.BeginNested(IFLA_LINKINFO);
            message.AddString(IFLA_INFO_KIND, kind);
            message.EndNested(nest);
        }
        return message.Finish()[NLMSG_HDRLEN..].ToArray();
    }

    private static byte[] Message(ushort type, uint sequence, byte[] payload)
    {
        byte[] bytes = new byte[NLMSG_HDRLEN + payload.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), (uint)bytes.Length);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), type);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), sequence);
        payload.CopyTo(bytes, NLMSG_HDRLEN);
        return bytes;
    }

    private static byte[] IfInfoMsg(int index)
    {
        byte[] bytes = new byte[IfInfoMsgSize];
        BitConverter.TryWriteBytes(bytes.AsSpan(4), index);
        return bytes;
    }

    private static byte[] Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        byte[] bytes = new byte[NetlinkMessage.Align(RTA_HDRLEN + value.Length)];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), (ushort)(RTA_HDRLEN + value.Length));
        BitConverter.TryWriteBytes(bytes.AsSpan(2), type);
        value.CopyTo(bytes.AsSpan(RTA_HDRLEN));
        return bytes;
    }
}
