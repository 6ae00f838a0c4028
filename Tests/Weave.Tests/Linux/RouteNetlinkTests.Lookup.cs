using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Weave.Linux;
using Weave.Router.Launch;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>Route lookups, the default route and the link holding an address, against the real
/// kernel: what the router asks to find its underlay's MTU. Lookups send no traffic.</summary>
public sealed partial class RouteNetlinkTests
{
    private static readonly IPAddress s_jumboAddress = IPAddress.Parse("192.168.50.1");
    private static readonly IPAddress s_jumboPeer = IPAddress.Parse("192.168.50.7");
    private static readonly IPAddress s_elsewhere = IPAddress.Parse("198.51.100.7"); // TEST-NET-2: only the default route leads there

    [RootFact]
    public void Lookups_FindTheRoutedLink_TheDefaultRoutesLink_AndTheAddressHolder()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int jumbo, int other) = CreateVeth(rtnl, up: true);
            rtnl.SetMtu(jumbo, 9000);
            rtnl.AddAddress(jumbo, s_jumboAddress, 24);
            rtnl.AddAddress(other, IPAddress.Parse("10.9.0.1"), 24);

            Assert.Equal(jumbo, rtnl.GetRouteOutputIndex(s_jumboPeer));
            Assert.Null(rtnl.GetRouteOutputIndex(s_elsewhere)); // no default route yet: ENETUNREACH
            Assert.Null(rtnl.GetDefaultRouteOutputIndex(AddressFamily.InterNetwork));
            Assert.Equal(rtnl.GetLink("lo")!.Index, rtnl.GetRouteOutputIndex(s_jumboAddress)); // our own address: local

            rtnl.AddRoute(IPAddress.Any, 0, IPAddress.Parse("10.9.0.254"), other, RouteScope.Universe);
            Assert.Equal(other, rtnl.GetRouteOutputIndex(s_elsewhere));
            Assert.Equal(other, rtnl.GetDefaultRouteOutputIndex(AddressFamily.InterNetwork));
            Assert.Null(rtnl.GetDefaultRouteOutputIndex(AddressFamily.InterNetworkV6));

            Assert.Equal(jumbo, rtnl.FindLinkWithAddress(s_jumboAddress));
            Assert.Null(rtnl.FindLinkWithAddress(s_jumboPeer));
        });
    }

    [RootFact]
    public void NetlinkUnderlayLinks_NameTheLinkAndItsMtu()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using (var rtnl = RouteNetlink.Open())
            {
                (int jumbo, int other) = CreateVeth(rtnl, up: true);
                rtnl.SetMtu(jumbo, 9000);
                rtnl.AddAddress(jumbo, s_jumboAddress, 24);
                rtnl.AddAddress(other, IPAddress.Parse("10.9.0.1"), 24);
                rtnl.AddRoute(IPAddress.Any, 0, IPAddress.Parse("10.9.0.254"), other, RouteScope.Universe);
            }
            using var links = new NetlinkUnderlayLinks();
            Assert.Equal(new UnderlayLink("wvveth0", 9000), links.RouteTo(s_jumboPeer));
            Assert.Equal(new UnderlayLink("wvveth0", 9000), links.Holding(s_jumboAddress));
            Assert.Equal(new UnderlayLink("wvveth1", 1500), links.DefaultRoute(AddressFamily.InterNetwork));
            Assert.Null(links.Holding(s_elsewhere));
            Assert.Null(links.RouteTo(IPAddress.Parse("fd00::9"))); // no IPv6 route at all
        });
    }
}
