using System.Net;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>Addresses and routes against the real kernel, each test in a namespace of its own
/// (deleting the namespace removes every link, address and route a test made, also on failure).</summary>
public sealed partial class RouteNetlinkTests
{
    private static readonly IPAddress s_podAddress = IPAddress.Parse("10.32.0.1");
    private static readonly IPAddress s_ulaAddress = IPAddress.Parse("fd00:57::1");

    [RootFact]
    public void AddAddress_Twice_IsIdempotent_AndListedWithBothFamilies()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, int peer) = CreateVeth(rtnl);

            rtnl.AddAddress(index, s_podAddress, 12);
            rtnl.AddAddress(index, s_podAddress, 12); // already there: not an error
            rtnl.AddAddress(index, s_ulaAddress, 64);

            IReadOnlyList<InterfaceAddress> addresses = rtnl.ListAddresses(index);
            Assert.Single(addresses, a => a == new InterfaceAddress(s_podAddress, 12));
            Assert.Contains(new InterfaceAddress(s_ulaAddress, 64), addresses);
            Assert.Empty(rtnl.ListAddresses(peer)); // the dump is filtered by index
        });
        string shown = TempNetns.Ip("-n", ns.Name, "addr", "show", "dev", "wvveth0");
        Assert.Contains("inet 10.32.0.1/12 brd 10.47.255.255", shown, StringComparison.Ordinal);
        Assert.Contains("inet6 fd00:57::1/64", shown, StringComparison.Ordinal);
    }

    [RootFact]
    public void DeleteAddress_RemovesIt_AndAMissingOneReturnsFalse()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl);
            rtnl.AddAddress(index, s_podAddress, 12);
            rtnl.AddAddress(index, s_ulaAddress, 64);

            Assert.False(rtnl.DeleteAddress(index, s_podAddress, 16)); // same address, other prefix: not there
            Assert.True(rtnl.DeleteAddress(index, s_podAddress, 12));
            Assert.False(rtnl.DeleteAddress(index, s_podAddress, 12));
            Assert.True(rtnl.DeleteAddress(index, s_ulaAddress, 64));
            Assert.False(rtnl.DeleteAddress(index, s_ulaAddress, 64));

            Assert.Empty(rtnl.ListAddresses(index));
        });
        Assert.DoesNotContain("10.32.0.1", TempNetns.Ip("-n", ns.Name, "addr", "show", "dev", "wvveth0"), StringComparison.Ordinal);
    }

    [RootFact]
    public void AddAddress_MissingLink_ThrowsEnodevNamingTheOperation()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            var error = Assert.Throws<LinuxError>(() => rtnl.AddAddress(987654, s_podAddress, 12));
            Assert.Equal(LibC.ENODEV, error.Errno);
            Assert.Contains("add address 10.32.0.1/12 on ifindex 987654", error.Message, StringComparison.Ordinal);
        });
    }

    [RootFact]
    public void AddRoute_LinkScopeAndDefaultViaGateway_AreListedAndDeleted()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl, up: true);
            rtnl.AddAddress(index, s_podAddress, 24);
            var onLink = new RouteInfo(IPAddress.Parse("10.40.0.0"), 16, null, RouteScope.Link);
            var viaGateway = new RouteInfo(IPAddress.Any, 0, IPAddress.Parse("10.32.0.254"), RouteScope.Universe);

            for (int i = 0; i < 2; i++) // the second time changes nothing and is not an error
            {
                rtnl.AddRoute(onLink.Destination, 16, null, index, RouteScope.Link);
                rtnl.AddRoute(IPAddress.Any, 0, viaGateway.Gateway, index, RouteScope.Universe);
            }

            IReadOnlyList<RouteInfo> routes = rtnl.ListRoutes(index);
            Assert.Single(routes, r => r == onLink);
            Assert.Single(routes, r => r == viaGateway);
            Assert.Contains(new RouteInfo(IPAddress.Parse("10.32.0.0"), 24, null, RouteScope.Link), routes); // the kernel's, for the address
            string shown = TempNetns.Ip("-n", ns.Name, "route", "show");
            Assert.Contains("default via 10.32.0.254 dev wvveth0", shown, StringComparison.Ordinal);
            Assert.Contains("10.40.0.0/16 dev wvveth0 scope link", shown, StringComparison.Ordinal);

            Assert.True(rtnl.DeleteRoute(IPAddress.Any, 0, viaGateway.Gateway, index));
            Assert.True(rtnl.DeleteRoute(onLink.Destination, 16, null, index));
            Assert.False(rtnl.DeleteRoute(IPAddress.Any, 0, viaGateway.Gateway, index));
            Assert.False(rtnl.DeleteRoute(onLink.Destination, 16, null, index));

            routes = rtnl.ListRoutes(index);
            Assert.DoesNotContain(onLink, routes);
            Assert.DoesNotContain(viaGateway, routes);
        });
        Assert.DoesNotContain("default", TempNetns.Ip("-n", ns.Name, "route", "show"), StringComparison.Ordinal);
    }

    [RootFact]
    public void AddRoute_IPv6_IsListedAndDeleted()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl, up: true);
            IPAddress destination = IPAddress.Parse("fd00:40::");

            rtnl.AddRoute(destination, 64, null, index, RouteScope.Universe);
            rtnl.AddRoute(destination, 64, null, index, RouteScope.Universe);

            Assert.Single(rtnl.ListRoutes(index), r => r.Destination.Equals(destination) && r.PrefixLength == 64);
            Assert.True(rtnl.DeleteRoute(destination, 64, null, index));
            Assert.False(rtnl.DeleteRoute(destination, 64, null, index));
            Assert.DoesNotContain(rtnl.ListRoutes(index), r => r.Destination.Equals(destination));
        });
    }

    [RootFact]
    public void AddRoute_GatewayNotOnAnyLink_ThrowsNamingTheRoute()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl, up: true);

            var error = Assert.Throws<LinuxError>(() =>
                rtnl.AddRoute(IPAddress.Any, 0, IPAddress.Parse("192.0.2.1"), index, RouteScope.Universe));

            Assert.Equal(LibC.ENETUNREACH, error.Errno);
            Assert.Contains($"add route 0.0.0.0/0 via 192.0.2.1 dev ifindex {index}", error.Message, StringComparison.Ordinal);
        });
    }

    /// <summary>Creates the veth pair wvveth0/wvveth1 and returns both indexes.</summary>
    private static (int Index, int Peer) CreateVeth(RouteNetlink rtnl, bool up = false)
    {
        rtnl.CreateVethPair("wvveth0", "wvveth1");
        int index = rtnl.GetLink("wvveth0")!.Index;
        int peer = rtnl.GetLink("wvveth1")!.Index;
        if (up)
        {
            rtnl.SetUp(index);
            rtnl.SetUp(peer);
        }
        return (index, peer);
    }
}
