using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>RouteNetlink against the real kernel, each test in a namespace of its own.</summary>
public sealed partial class RouteNetlinkTests
{
    [RootFact]
    public void CreateBridge_ThenGetLink_ReportsKindBridgeAndMtu()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0", mtu: 1400);

            LinkInfo bridge = Assert.IsType<LinkInfo>(rtnl.GetLink("wvbr0"));
            Assert.Equal("wvbr0", bridge.Name);
            Assert.Equal("bridge", bridge.Kind);
            Assert.Equal(1400, bridge.Mtu);
            Assert.False(bridge.IsUp);
            Assert.Equal(0, bridge.MasterIndex);
            Assert.Equal(6, bridge.MacAddress.Length);

            LinkInfo byIndex = Assert.IsType<LinkInfo>(rtnl.GetLink(bridge.Index));
            Assert.Equal("wvbr0", byIndex.Name);
            Assert.Equal(bridge.MacAddress, byIndex.MacAddress);
        });
        Assert.Contains("wvbr0", TempNetns.Ip("-n", ns.Name, "link", "show", "wvbr0"), StringComparison.Ordinal);
    }

    [RootFact]
    public void SetUpSetMtuSetDown_AreVisibleInGetLink()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            int index = rtnl.GetLink("wvbr0")!.Index;

            rtnl.SetUp(index);
            Assert.True(rtnl.GetLink(index)!.IsUp);

            rtnl.SetMtu(index, 1300);
            Assert.Equal(1300, rtnl.GetLink(index)!.Mtu);

            rtnl.SetDown(index);
            Assert.False(rtnl.GetLink(index)!.IsUp);
        });
    }

    [RootFact]
    public void CreateBridge_Twice_ThrowsEexist()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            var error = Assert.Throws<LinuxError>(() => rtnl.CreateBridge("wvbr0"));
            Assert.Equal(LibC.EEXIST, error.Errno);
            Assert.Contains("create bridge wvbr0", error.Message, StringComparison.Ordinal);
        });
    }

    [RootFact]
    public void GetLink_Missing_ReturnsNull()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            Assert.Null(rtnl.GetLink("wvnothere"));
            Assert.Null(rtnl.GetLink(987654));
        });
    }

    [RootFact]
    public void DeleteLink_RemovesIt_AndAgainThrowsEnodev()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            int index = rtnl.GetLink("wvbr0")!.Index;

            rtnl.DeleteLink(index);

            Assert.Null(rtnl.GetLink("wvbr0"));
            var error = Assert.Throws<LinuxError>(() => rtnl.DeleteLink(index));
            Assert.Equal(LibC.ENODEV, error.Errno);
        });
    }

    [RootFact]
    public void CreateVethPair_CreatesBothEnds_DeletingOneRemovesBoth()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVethPair("wvveth0", "wvveth1", mtu: 1376);

            LinkInfo a = Assert.IsType<LinkInfo>(rtnl.GetLink("wvveth0"));
            LinkInfo b = Assert.IsType<LinkInfo>(rtnl.GetLink("wvveth1"));
            Assert.Equal("veth", a.Kind);
            Assert.Equal("veth", b.Kind);
            Assert.Equal(1376, a.Mtu);
            Assert.Equal(1376, b.Mtu);
            Assert.Equal(LibC.EEXIST, Assert.Throws<LinuxError>(() => rtnl.CreateVethPair("wvveth0", "wvveth2")).Errno);

            rtnl.DeleteLink(a.Index);
            Assert.Null(rtnl.GetLink("wvveth1"));
        });
    }

    [RootFact]
    public void ListLinks_ReturnsLoopbackAndCreatedLinks()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            for (int i = 0; i < 40; i++)
            {
                rtnl.CreateBridge($"wvbr{i}");
            }
            IReadOnlyList<LinkInfo> links = rtnl.ListLinks();
            Assert.Contains(links, l => l.Name == "lo");
            Assert.Equal(41, links.Count); // lo + 40 bridges: enough to span several dump datagrams
            Assert.All(links.Where(l => l.Name != "lo"), l => Assert.Equal("bridge", l.Kind));
        });
    }

    [RootFact]
    public void SetMacAddress_ChangesTheAddress()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            int index = rtnl.GetLink("wvbr0")!.Index;
            byte[] mac = [0x02, 0x57, 0x56, 0x00, 0x00, 0x01];

            rtnl.SetMacAddress(index, mac);

            Assert.Equal(mac, rtnl.GetLink(index)!.MacAddress);
            Assert.Throws<ArgumentException>(() => rtnl.SetMacAddress(index, new byte[5]));
        });
    }

    [RootFact]
    public void SetMaster_AttachesTapToBridge_AndZeroDetaches()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            int bridge = rtnl.GetLink("wvbr0")!.Index;
            using var tap = TapDevice.Create("wvtap0");

            rtnl.SetMaster(tap.InterfaceIndex, bridge);
            LinkInfo attached = rtnl.GetLink(tap.InterfaceIndex)!;
            Assert.Equal("tun", attached.Kind);
            Assert.Equal(bridge, attached.MasterIndex);

            rtnl.SetMaster(tap.InterfaceIndex, 0);
            Assert.Equal(0, rtnl.GetLink(tap.InterfaceIndex)!.MasterIndex);
        });
    }

    [RootFact]
    public void SocketOpenedInsideNamespace_KeepsItWhenUsedFromAnotherThread()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        using RouteNetlink rtnl = ns.Run(RouteNetlink.Open);

        rtnl.CreateBridge("wvbr0"); // on the test thread, which is in the root namespace

        Assert.Contains("wvbr0", TempNetns.Ip("-n", ns.Name, "link", "show", "wvbr0"), StringComparison.Ordinal);
        Assert.Equal("bridge", rtnl.GetLink("wvbr0")!.Kind);
    }

    [RootFact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        RouteNetlink rtnl = ns.Run(RouteNetlink.Open);
        rtnl.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rtnl.GetLink("lo"));
    }

    [Fact]
    public void InvalidNames_AreRejectedBeforeAnySyscall()
    {
        Assert.False(InterfaceName.IsValid("a-name-of-16-chr"));
        Assert.False(InterfaceName.IsValid("with space"));
        Assert.False(InterfaceName.IsValid("a/b"));
        Assert.False(InterfaceName.IsValid(""));
        Assert.False(InterfaceName.IsValid(".."));
        Assert.True(InterfaceName.IsValid("weave-15-chars_"));
    }
}
