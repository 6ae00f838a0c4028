using System.Net;
using Weave.Gossip;
using Weave.Lab;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Router.Launch;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// The fast path's device against the real kernel (root, in a namespace of its own): made down
/// as a port of the bridge with its flags, isolated from the TAP; up, it holds the data port; a
/// restart takes it over with its entries; removed on request.
/// </summary>
public sealed class KernelPathSetupRootTests
{
    private const int DataPort = 46784;

    [RootFact]
    public void Create_Up_TakenOverByARestart_ThenRemoved()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        using BridgeSetup bridge = ns.Run(() => BridgeSetup.Create("weave", "vethwe-bridge", 1376, new PeerName(0x5e1a00000001)));

        KernelPathSetup device = ns.Run(() => KernelPathSetup.Create(bridge.BridgeIndex, "weave", bridge.Tap.InterfaceIndex, DataPort, 6783, local: null));
        Assert.True(device.Created);
        Assert.Equal("vxlan-46784", device.Name);
        Assert.False(ns.Run(() => KernelPathSetup.DeviceUp(DataPort)));
        string details = TempNetns.Ip("-n", ns.Name, "-d", "link", "show", device.Name);
        Assert.Contains($"vxlan id 6783", details, StringComparison.Ordinal);
        Assert.Contains($"srcport {DataPort} {DataPort + 1} dstport {DataPort} nolearning", details, StringComparison.Ordinal);
        Assert.Contains($"mtu {OverlayMtu.Max}", details, StringComparison.Ordinal);
        Assert.Contains("master weave", details, StringComparison.Ordinal);
        string ports = TempNetns.Ip("-n", ns.Name, "-d", "link", "show", "vethwe-bridge") + TempNetns.Ip("-n", ns.Name, "-d", "link", "show", device.Name);
        Assert.Equal(2, ports.Split("isolated on").Length - 1);
        Assert.Contains("learning off flood off", details, StringComparison.Ordinal);

        ns.Run(device.Up);
        Assert.True(ns.Run(() => KernelPathSetup.DeviceUp(DataPort)));
        var error = Assert.ThrowsAny<Exception>(() => ns.Run(() => UdpBatchSocket.Open(new IPEndPoint(IPAddress.Any, DataPort)).Dispose()));
        Assert.Contains("in use", error.Message, StringComparison.OrdinalIgnoreCase);

        // A restart: the device and an entry of it stay as they were.
        ns.Run(() =>
        {
            using RouteNetlink netlink = RouteNetlink.Open();
            netlink.AddFdb(FdbEntry.VxlanRemote(device.VxlanIndex, 0x02_00_00_00_00_0B, IPAddress.Parse("10.9.0.2")), append: false);
        });
        KernelPathSetup again = ns.Run(() => KernelPathSetup.Create(bridge.BridgeIndex, "weave", bridge.Tap.InterfaceIndex, DataPort, 6783, local: null));
        Assert.False(again.Created);
        Assert.Equal(device.VxlanIndex, again.VxlanIndex);
        Assert.Equal([IPAddress.Parse("10.9.0.2")], ns.Run(again.RemoteHosts));
        Assert.True(ns.Run(() => KernelPathSetup.DeviceUp(DataPort)));

        Assert.True(ns.Run(() => KernelPathSetup.RemoveDevice(DataPort)));
        Assert.False(ns.Run(() => KernelPathSetup.RemoveDevice(DataPort)));
    }
}
