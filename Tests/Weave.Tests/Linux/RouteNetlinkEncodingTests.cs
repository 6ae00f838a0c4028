using System.Net;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>Golden bytes for the address, route and bridge-port requests (little-endian host, as on x64 and arm64).</summary>
public sealed class RouteNetlinkEncodingTests
{
    [Fact]
    public void EncodeNewAddress_IPv4_HasIfAddrMsgLocalAddressAndBroadcast()
    {
        byte[] encoded = RouteNetlink.EncodeNewAddress(new byte[128], sequence: 9, index: 5, IPAddress.Parse("10.32.0.1"), 12).ToArray();

        byte[] expected =
        [
            48, 0, 0, 0, 20, 0, 0x05, 0x05, 9, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 48, RTM_NEWADDR, REQUEST|ACK|REPLACE|CREATE, seq 9
            2, 12, 0, 0, 5, 0, 0, 0,                                // ifaddrmsg: AF_INET, /12, flags 0, scope universe, ifindex 5
            8, 0, 2, 0, 10, 32, 0, 1,                               // IFA_LOCAL 10.32.0.1
            8, 0, 1, 0, 10, 32, 0, 1,                               // IFA_ADDRESS 10.32.0.1
            8, 0, 4, 0, 10, 47, 255, 255,                           // IFA_BROADCAST 10.47.255.255
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeNewAddress_IPv6AndSlash32_HaveNoBroadcast()
    {
        byte[] v6 = RouteNetlink.EncodeNewAddress(new byte[128], 1, 3, IPAddress.Parse("fd00::1"), 64).ToArray();
        Assert.Equal(16 + 8 + 20 + 20, v6.Length);
        Assert.Equal(new byte[] { 10, 64, 0, 0, 3, 0, 0, 0 }, v6[16..24]);
        Assert.Equal(new byte[] { 20, 0, 2, 0, 0xfd, 0 }, v6[24..30]);

        byte[] host = RouteNetlink.EncodeNewAddress(new byte[128], 1, 3, IPAddress.Parse("10.32.0.1"), 32).ToArray();
        Assert.Equal(16 + 8 + 8 + 8, host.Length);
    }

    [Fact]
    public void EncodeDeleteAddress_HasNoCreateFlagsAndNoBroadcast()
    {
        byte[] encoded = RouteNetlink.EncodeDeleteAddress(new byte[128], 2, 5, IPAddress.Parse("192.168.1.7"), 24).ToArray();

        byte[] expected =
        [
            40, 0, 0, 0, 21, 0, 0x05, 0x00, 2, 0, 0, 0, 0, 0, 0, 0, // RTM_DELADDR, REQUEST|ACK
            2, 24, 0, 0, 5, 0, 0, 0,
            8, 0, 2, 0, 192, 168, 1, 7,
            8, 0, 1, 0, 192, 168, 1, 7,
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeNewRoute_ViaGateway_HasRtMsgDstGatewayAndOif()
    {
        byte[] encoded = RouteNetlink.EncodeNewRoute(
            new byte[128], sequence: 4, IPAddress.Parse("10.40.0.0"), 16, IPAddress.Parse("10.32.0.254"), index: 7, RouteScope.Universe).ToArray();

        byte[] expected =
        [
            52, 0, 0, 0, 24, 0, 0x05, 0x05, 4, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 52, RTM_NEWROUTE, REQUEST|ACK|REPLACE|CREATE, seq 4
            2, 16, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0,                  // rtmsg: AF_INET, /16, src 0, tos 0, main, boot, universe, unicast, flags 0
            8, 0, 1, 0, 10, 40, 0, 0,                               // RTA_DST
            8, 0, 5, 0, 10, 32, 0, 254,                             // RTA_GATEWAY
            8, 0, 4, 0, 7, 0, 0, 0,                                 // RTA_OIF 7
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeNewRoute_DefaultLinkScope_OmitsDst()
    {
        byte[] encoded = RouteNetlink.EncodeNewRoute(new byte[128], 1, IPAddress.Any, 0, null, 2, RouteScope.Link).ToArray();

        byte[] expected =
        [
            36, 0, 0, 0, 24, 0, 0x05, 0x05, 1, 0, 0, 0, 0, 0, 0, 0,
            2, 0, 0, 0, 254, 3, 253, 1, 0, 0, 0, 0,                 // scope link
            8, 0, 4, 0, 2, 0, 0, 0,                                 // RTA_OIF 2 only
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeNewRoute_WithAProtocol_CarriesItInRtMsg()
    {
        byte[] encoded = RouteNetlink.EncodeNewRoute(new byte[128], 1, IPAddress.Parse("10.48.0.0"), 16, null, 2, RouteScope.Link, protocol: 87).ToArray();

        Assert.Equal([2, 16, 0, 0, 254, 87, 253, 1], encoded[16..24]); // AF_INET, /16, main, protocol 87, scope link, unicast
    }

    [Fact]
    public void EncodeDeleteRoute_MatchesAnyScopeProtocolAndType()
    {
        byte[] encoded = RouteNetlink.EncodeDeleteRoute(new byte[128], 3, IPAddress.Parse("10.40.0.0"), 16, null, 7).ToArray();

        byte[] expected =
        [
            44, 0, 0, 0, 25, 0, 0x05, 0x00, 3, 0, 0, 0, 0, 0, 0, 0, // RTM_DELROUTE, REQUEST|ACK
            2, 16, 0, 0, 254, 0, 255, 0, 0, 0, 0, 0,                // main, proto unspec, scope nowhere, type unspec
            8, 0, 1, 0, 10, 40, 0, 0,
            8, 0, 4, 0, 7, 0, 0, 0,
        ];
        Assert.Equal(expected, encoded);
    }

    [Theory]
    [InlineData("10.40.0.1", 16)]  // host bits set
    [InlineData("10.40.0.0", 33)]  // prefix too long for IPv4
    [InlineData("fd00::1", 64)]
    public void EncodeNewRoute_BadDestination_ThrowsArgumentException(string destination, int prefixLength)
    {
        Assert.ThrowsAny<ArgumentException>(() =>
            RouteNetlink.EncodeNewRoute(new byte[128], 1, IPAddress.Parse(destination), prefixLength, null, 2, RouteScope.Link).ToArray());
    }

    [Fact]
    public void EncodeNewRoute_GatewayOfAnotherFamily_ThrowsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RouteNetlink.EncodeNewRoute(new byte[128], 1, IPAddress.Any, 0, IPAddress.Parse("fd00::1"), 2, RouteScope.Universe).ToArray());
        Assert.Equal("gateway", error.ParamName);
    }

    [Fact]
    public void EncodeNewAddress_BadPrefix_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            RouteNetlink.EncodeNewAddress(new byte[128], 1, 2, IPAddress.Parse("10.0.0.1"), 33).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            RouteNetlink.EncodeNewAddress(new byte[128], 1, 2, IPAddress.Parse("fd00::1"), -1).ToArray());
    }

    [Fact]
    public void EncodeBridgePort_Hairpin_IsAfBridgeSetLinkWithNestedProtInfo()
    {
        byte[] encoded = RouteNetlink.EncodeBridgePort(new byte[128], 6, index: 4, new BridgePortSettings(Hairpin: true)).ToArray();

        byte[] expected =
        [
            44, 0, 0, 0, 19, 0, 0x05, 0x00, 6, 0, 0, 0, 0, 0, 0, 0, // RTM_SETLINK, REQUEST|ACK
            7, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,         // ifinfomsg: AF_BRIDGE, ifindex 4
            12, 0, 12, 0x80,                                        // IFLA_PROTINFO | NLA_F_NESTED
            5, 0, 4, 0, 1, 0, 0, 0,                                 // IFLA_BRPORT_MODE u8 1 + pad
        ];
        Assert.Equal(expected, encoded);
        Assert.Equal(0, RouteNetlink.EncodeBridgePort(new byte[128], 6, 4, new BridgePortSettings(Hairpin: false))[40]);
    }

    [Fact]
    public void EncodeBridgePort_SeveralSettings_OneByteAttributeEachInTypeOrder()
    {
        var settings = new BridgePortSettings(Learning: false, UnicastFlood: false, Isolated: true);

        byte[] encoded = RouteNetlink.EncodeBridgePort(new byte[128], 6, index: 4, settings).ToArray();

        Assert.Equal(16 + 16 + 4 + 3 * 8, encoded.Length);
        Assert.Equal([5, 0, 8, 0, 0, 0, 0, 0, 5, 0, 9, 0, 0, 0, 0, 0, 5, 0, 33, 0, 1, 0, 0, 0], encoded[36..]);
        Assert.Equal("learning off, flood off, isolated on", settings.ToString());
    }

    [Fact]
    public void EncodeGetRoute_IsAHostLookupWithRtaDst()
    {
        byte[] encoded = RouteNetlink.EncodeGetRoute(new byte[128], 7, IPAddress.Parse("192.168.231.11")).ToArray();

        byte[] expected =
        [
            36, 0, 0, 0, 26, 0, 0x01, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 36, RTM_GETROUTE, REQUEST, seq 7
            2, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                    // rtmsg: AF_INET, /32, any table, protocol, scope, type; flags 0
            8, 0, 1, 0, 192, 168, 231, 11,                          // RTA_DST
        ];
        Assert.Equal(expected, encoded);
        Assert.Equal(16 + 12 + 20, RouteNetlink.EncodeGetRoute(new byte[128], 1, IPAddress.Parse("fd00::1")).Length);
    }
}
