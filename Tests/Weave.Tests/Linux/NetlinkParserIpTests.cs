using System.Net;
using Weave.Linux;
using Xunit;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Linux;

/// <summary>Address and route replies on hand-built bytes: malformed input makes Try* return false, never throw.</summary>
public sealed class NetlinkParserIpTests
{
    [Fact]
    public void TryParseAddress_IPv4_PrefersLocalOverPeerAddress()
    {
        byte[] payload = AddressPayload(AF_INET, 24, 5, local: IPAddress.Parse("10.0.0.1"), address: IPAddress.Parse("10.0.0.2"));

        Assert.True(NetlinkParser.TryParseAddress(payload, out AddressReply? reply));

        Assert.Equal(5, reply!.Value.Index);
        Assert.Equal(new InterfaceAddress(IPAddress.Parse("10.0.0.1"), 24), reply.Value.Address);
    }

    [Fact]
    public void TryParseAddress_IPv6WithOnlyIfaAddress_UsesIt()
    {
        byte[] payload = AddressPayload(AF_INET6, 64, 2, local: null, address: IPAddress.Parse("fe80::1"));

        Assert.True(NetlinkParser.TryParseAddress(payload, out AddressReply? reply));

        Assert.Equal(new InterfaceAddress(IPAddress.Parse("fe80::1"), 64), reply!.Value.Address);
    }

    [Fact]
    public void TryParseAddress_OtherFamily_IsSkippedNotMalformed()
    {
        Assert.True(NetlinkParser.TryParseAddress(AddressPayload(AF_BRIDGE, 0, 2, null, null), out AddressReply? reply));
        Assert.Null(reply);
    }

    [Fact]
    public void TryParseAddress_Malformed_ReturnsFalse()
    {
        Assert.False(NetlinkParser.TryParseAddress(new byte[IfAddrMsgSize - 1], out _));
        Assert.False(NetlinkParser.TryParseAddress(AddressPayload(AF_INET, 33, 2, IPAddress.Parse("10.0.0.1"), null), out _));
        Assert.False(NetlinkParser.TryParseAddress(AddressPayload(AF_INET, 8, 2, null, null), out _));
        Assert.False(NetlinkParser.TryParseAddress(AddressPayload(AF_INET, 8, 2, IPAddress.Parse("fd00::1"), null), out _)); // 16 bytes for AF_INET
        Assert.False(NetlinkParser.TryParseAddress(AddressPayload(AF_INET, 8, 0, IPAddress.Parse("10.0.0.1"), null), out _));
    }

    [Fact]
    public void TryParseRoute_GatewayRoute_ReadsAllFields()
    {
        byte[] payload = RoutePayload(AF_INET, 16, RT_TABLE_MAIN, RT_SCOPE_UNIVERSE, RTN_UNICAST,
            IPAddress.Parse("10.40.0.0"), IPAddress.Parse("10.32.0.254"), outputIndex: 7);

        Assert.True(NetlinkParser.TryParseRoute(payload, out RouteReply? reply));

        RouteReply r = reply!.Value;
        Assert.Equal(new RouteInfo(IPAddress.Parse("10.40.0.0"), 16, IPAddress.Parse("10.32.0.254"), RouteScope.Universe), r.Route);
        Assert.Equal((RT_TABLE_MAIN, RTN_UNICAST, 7), ((byte)r.Table, r.Type, r.OutputIndex));
    }

    [Fact]
    public void TryParseRoute_WithoutDst_IsTheDefaultRoute()
    {
        byte[] payload = RoutePayload(AF_INET6, 0, RT_TABLE_MAIN, RT_SCOPE_UNIVERSE, RTN_UNICAST, null, IPAddress.Parse("fe80::1"), 3);

        Assert.True(NetlinkParser.TryParseRoute(payload, out RouteReply? reply));

        Assert.Equal(IPAddress.IPv6Any, reply!.Value.Route.Destination);
        Assert.Equal(0, reply.Value.Route.PrefixLength);
    }

    [Fact]
    public void TryParseRoute_RtaTable_OverridesRtmTable()
    {
        byte[] buffer = new byte[128];
        var message = new NetlinkMessage(buffer, RTM_NEWROUTE, 0, 1);
        message.WriteRtMsg(AF_INET, 0, 252, RTPROT_BOOT, RT_SCOPE_LINK, RTN_UNICAST);
        message.AddUInt32(RTA_TABLE, 1000);
        byte[] payload = message.Finish()[NLMSG_HDRLEN..].ToArray();

        Assert.True(NetlinkParser.TryParseRoute(payload, out RouteReply? reply));

        Assert.Equal(1000u, reply!.Value.Table);
        Assert.Equal(RouteScope.Link, reply.Value.Route.Scope);
        Assert.Equal(RTPROT_BOOT, reply.Value.Protocol);
    }

    [Fact]
    public void TryParseRoute_Malformed_ReturnsFalse()
    {
        Assert.False(NetlinkParser.TryParseRoute(new byte[RtMsgSize - 1], out _));
        Assert.False(NetlinkParser.TryParseRoute(RoutePayload(AF_INET, 40, RT_TABLE_MAIN, 0, RTN_UNICAST, null, null, 1), out _));
        Assert.False(NetlinkParser.TryParseRoute(RoutePayload(AF_INET6, 64, RT_TABLE_MAIN, 0, RTN_UNICAST, IPAddress.Parse("10.0.0.0"), null, 1), out _));
    }

    [Fact]
    public void TryParseAddressAndRoute_RandomCorruption_NeverThrow()
    {
        var random = new Random(20250301);
        byte[] address = AddressPayload(AF_INET6, 64, 4, IPAddress.Parse("fd00::1"), IPAddress.Parse("fd00::2"));
        byte[] route = RoutePayload(AF_INET, 24, RT_TABLE_MAIN, RT_SCOPE_LINK, RTN_UNICAST, IPAddress.Parse("10.1.2.0"), IPAddress.Parse("10.1.2.1"), 9);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] corrupt = Corrupt(random, round % 2 == 0 ? address : route, out int length);
            if (round % 2 == 0)
            {
                _ = NetlinkParser.TryParseAddress(corrupt.AsSpan(0, length), out _);
            }
            else
            {
                _ = NetlinkParser.TryParseRoute(corrupt.AsSpan(0, length), out _);
            }
        }
    }

    private static byte[] Corrupt(Random random, byte[] original, out int length)
    {
        byte[] corrupt = (byte[])original.Clone();
        for (int flips = random.Next(1, 4); flips > 0; flips--)
        {
            corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
        }
        length = random.Next(corrupt.Length + 1);
        return corrupt;
    }

    private static byte[] AddressPayload(byte family, byte prefixLength, int index, IPAddress? local, IPAddress? address)
    {
        byte[] buffer = new byte[128];
        var message = new NetlinkMessage(buffer, RTM_NEWADDR, 0, 1);
        message.WriteIfAddrMsg(family, prefixLength, index);
        if (address is not null)
        {
            message.AddIPAddress(IFA_ADDRESS, address);
        }
        if (local is not null)
        {
            message.AddIPAddress(IFA_LOCAL, local);
        }
        return message.Finish()[NLMSG_HDRLEN..].ToArray();
    }

    private static byte[] RoutePayload(byte family, byte prefixLength, byte table, byte scope, byte type, IPAddress? destination, IPAddress? gateway, int outputIndex)
    {
        byte[] buffer = new byte[128];
        var message = new NetlinkMessage(buffer, RTM_NEWROUTE, 0, 1);
        message.WriteRtMsg(family, prefixLength, table, RTPROT_KERNEL, scope, type);
        message.AddUInt32(RTA_TABLE, table);
        if (destination is not null)
        {
            message.AddIPAddress(RTA_DST, destination);
        }
        if (gateway is not null)
        {
            message.AddIPAddress(RTA_GATEWAY, gateway);
        }
        message.AddUInt32(RTA_OIF, (uint)outputIndex);
        return message.Finish()[NLMSG_HDRLEN..].ToArray();
    }
}
