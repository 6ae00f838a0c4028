using System.Net;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>Kernel VXLAN devices: the request's bytes, bad settings, and the device the kernel makes.</summary>
public sealed class RouteNetlinkVxlanTests
{
    [Fact]
    public void EncodeVxlan_IsNewLinkWithVniNoLearningAndOnePort()
    {
        byte[] encoded = RouteNetlink.EncodeVxlan(new byte[256], 2, "wvvx0", new VxlanSettings(42, 6784), mtu: 0).ToArray();

        byte[] expected =
        [
            96, 0, 0, 0, 16, 0, 0x05, 0x06, 2, 0, 0, 0, 0, 0, 0, 0,          // RTM_NEWLINK, REQUEST|ACK|CREATE|EXCL
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                  // ifinfomsg
            10, 0, 3, 0, (byte)'w', (byte)'v', (byte)'v', (byte)'x', (byte)'0', 0, 0, 0, // IFLA_IFNAME
            52, 0, 18, 0,                                                    // IFLA_LINKINFO
            10, 0, 1, 0, (byte)'v', (byte)'x', (byte)'l', (byte)'a', (byte)'n', 0, 0, 0, // IFLA_INFO_KIND
            36, 0, 2, 0,                                                     // IFLA_INFO_DATA
            8, 0, 1, 0, 42, 0, 0, 0,                                         // IFLA_VXLAN_ID
            5, 0, 7, 0, 0, 0, 0, 0,                                          // IFLA_VXLAN_LEARNING 0
            8, 0, 10, 0, 0x1A, 0x80, 0x1A, 0x81,                             // IFLA_VXLAN_PORT_RANGE 6784..6785, big-endian
            6, 0, 15, 0, 0x1A, 0x80, 0, 0,                                   // IFLA_VXLAN_PORT 6784, big-endian
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeVxlan_LocalAddress_GoesInLocalOrLocal6()
    {
        int v4 = RouteNetlink.EncodeVxlan(new byte[256], 1, "wvvx0", new VxlanSettings(1, 6784, IPAddress.Parse("192.0.2.1")), 0).Length;
        int v6 = RouteNetlink.EncodeVxlan(new byte[256], 1, "wvvx0", new VxlanSettings(1, 6784, IPAddress.Parse("fd00::1")), 0).Length;

        Assert.Equal((96 + 8, 96 + 20), (v4, v6));
    }

    [Theory]
    [InlineData(0, 6784)]
    [InlineData(VxlanSettings.MaxVni + 1, 6784)]
    [InlineData(42, 0)]
    [InlineData(42, 65_535)] // no room for the one-port source range
    public void EncodeVxlan_OutOfRange_Throws(int vni, int port)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteNetlink.EncodeVxlan(new byte[256], 1, "wvvx0", new VxlanSettings(vni, port), 0).Length);
    }

    [RootFact]
    public void CreateVxlan_TheKernelShowsTheVniPortsAndNoLearning()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVxlan("wvvx0", new VxlanSettings(42, 6784), mtu: 1376);

            LinkInfo link = Assert.IsType<LinkInfo>(rtnl.GetLink("wvvx0"));
            Assert.Equal(("vxlan", 1376, false), (link.Kind, link.Mtu, link.IsUp));
            var taken = Assert.Throws<LinuxError>(() => rtnl.CreateVxlan("wvvx0", new VxlanSettings(43, 6784)));
            Assert.Equal(LibC.EEXIST, taken.Errno);
            Assert.StartsWith("create vxlan wvvx0 (vni 43, port 6784)", taken.Message, StringComparison.Ordinal);
        });
        string details = TempNetns.Ip("-d", "-n", ns.Name, "link", "show", "wvvx0");
        Assert.Contains("vxlan id 42 ", details, StringComparison.Ordinal);
        Assert.Contains("srcport 6784 6785 dstport 6784 nolearning", details, StringComparison.Ordinal);
    }

    /// <summary>A VXLAN device as a bridge port with learning and flooding off and isolated, as the
    /// kernel path will attach it: the kernel takes each setting.</summary>
    [RootFact]
    public void SetBridgePort_OnAVxlanPort_TheKernelShowsEachSetting()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            rtnl.CreateVxlan("wvvx0", new VxlanSettings(42, 6784));
            int port = rtnl.GetLink("wvvx0")!.Index;
            var notAPort = Assert.Throws<LinuxError>(() => rtnl.SetBridgePort(port, new BridgePortSettings(Learning: false)));
            Assert.StartsWith($"set learning off on bridge port ifindex {port}", notAPort.Message, StringComparison.Ordinal);
            rtnl.SetMaster(port, rtnl.GetLink("wvbr0")!.Index);

            rtnl.SetBridgePort(port, new BridgePortSettings(Learning: false, UnicastFlood: false, MulticastFlood: false, BroadcastFlood: false, Isolated: true));
        });
        string details = TempNetns.Ip("-d", "-n", ns.Name, "link", "show", "wvvx0");
        foreach (string shown in new[] { "learning off", "flood off", "mcast_flood off", "bcast_flood off", "isolated on" })
        {
            Assert.Contains(" " + shown + " ", details, StringComparison.Ordinal);
        }
    }
}
