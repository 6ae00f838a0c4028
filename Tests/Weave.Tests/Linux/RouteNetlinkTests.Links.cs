using System.Runtime.InteropServices;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>Moving a link between namespaces, renaming it, and bridge-port hairpin mode.</summary>
public sealed partial class RouteNetlinkTests
{
    [RootFact]
    public void SetNetNs_MovesVethEnd_ThenSetNameRenamesItThere()
    {
        RootFactAttribute.Require();
        using var container = new TempNetns("wvtestc");
        using var host = new TempNetns();
        using SafeHandle containerNs = NetNs.Open(container.Name);

        host.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVethPair("wvveth0", "wvveth1");
            rtnl.SetNetNs(rtnl.GetLink("wvveth1")!.Index, containerNs);

            Assert.Null(rtnl.GetLink("wvveth1"));
            Assert.NotNull(rtnl.GetLink("wvveth0"));
        });
        container.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            LinkInfo moved = Assert.IsType<LinkInfo>(rtnl.GetLink("wvveth1"));
            Assert.Throws<ArgumentException>(() => rtnl.SetName(moved.Index, "eth0/x"));

            rtnl.SetName(moved.Index, "eth0");

            Assert.Null(rtnl.GetLink("wvveth1"));
            LinkInfo renamed = Assert.IsType<LinkInfo>(rtnl.GetLink("eth0"));
            Assert.Equal((moved.Index, "veth"), (renamed.Index, renamed.Kind));
        });
        Assert.Contains("eth0@", TempNetns.Ip("-n", container.Name, "link", "show", "eth0"), StringComparison.Ordinal);
    }

    [RootFact]
    public void SetName_ToATakenName_ThrowsEexistNamingBoth()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl);

            var error = Assert.Throws<LinuxError>(() => rtnl.SetName(index, "wvveth1"));

            Assert.Equal(LibC.EEXIST, error.Errno);
            Assert.Contains($"rename ifindex {index} to wvveth1", error.Message, StringComparison.Ordinal);
        });
    }

    [RootFact]
    public void SetNetNs_ClosedHandle_ThrowsBeforeAnySyscall()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        SafeHandle closed = NetNs.Open(ns.Name);
        closed.Dispose();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            Assert.Throws<ObjectDisposedException>(() => rtnl.SetNetNs(1, closed));
        });
        Assert.Throws<LinuxError>(() => NetNs.Open("wvtest-does-not-exist"));
    }

    [RootFact]
    public void SetBridgePortHairpin_OnAndOff_ShowInIpDetails()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        int port = ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            (int index, _) = CreateVeth(rtnl);
            rtnl.SetMaster(index, rtnl.GetLink("wvbr0")!.Index);
            rtnl.SetBridgePortHairpin(index, true);
            return index;
        });
        Assert.Contains("hairpin on", TempNetns.Ip("-d", "-n", ns.Name, "link", "show", "wvveth0"), StringComparison.Ordinal);

        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.SetBridgePortHairpin(port, false);
        });
        Assert.Contains("hairpin off", TempNetns.Ip("-d", "-n", ns.Name, "link", "show", "wvveth0"), StringComparison.Ordinal);
    }

    [RootFact]
    public void SetBridgePortHairpin_NotABridgePort_ThrowsNamingThePort()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            (int index, _) = CreateVeth(rtnl);

            var error = Assert.Throws<LinuxError>(() => rtnl.SetBridgePortHairpin(index, true));

            Assert.Contains($"set hairpin on on bridge port ifindex {index}", error.Message, StringComparison.Ordinal);
        });
    }
}
