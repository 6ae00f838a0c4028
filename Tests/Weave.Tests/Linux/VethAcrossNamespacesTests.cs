using Weave.Lab;
using Weave.Linux;
using Xunit;
using static Tmds.Linux.LibC;

namespace Weave.Tests.Linux;

/// <summary>A veth pair whose peer is born in another namespace (what the CNI plugin's ADD does).</summary>
public sealed class VethAcrossNamespacesTests
{
    [RootFact]
    public void CreateVethPair_WithPeerNamespace_PutsThePeerThereUnderItsName()
    {
        RootFactAttribute.Require();
        using var host = new TempNetns();
        using var pod = new TempNetns();
        using var podHandle = NetNs.Open(pod.Name);

        host.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVethPair("wvhost0", "eth0", 1376, podHandle);
            LinkInfo hostEnd = Assert.IsType<LinkInfo>(rtnl.GetLink("wvhost0"));
            Assert.Equal(1376, hostEnd.Mtu);
            Assert.Null(rtnl.GetLink("eth0"));
        });
        LinkInfo podEnd = pod.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            return Assert.IsType<LinkInfo>(rtnl.GetLink("eth0"));
        });
        Assert.Equal("veth", podEnd.Kind);
        Assert.Equal(1376, podEnd.Mtu);
        Assert.Equal(6, podEnd.MacAddress.Length);

        // Deleting the host end takes the pod's end with it.
        host.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.DeleteLink(rtnl.GetLink("wvhost0")!.Index);
        });
        Assert.Null(pod.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            return rtnl.GetLink("eth0");
        }));
    }

    [RootFact]
    public void CreateVethPair_WhenThePeerNameIsTakenThere_FailsWithEexistAndCreatesNothing()
    {
        RootFactAttribute.Require();
        using var host = new TempNetns();
        using var pod = new TempNetns();
        TempNetns.Ip("-n", pod.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
        using var podHandle = NetNs.Open(pod.Name);

        host.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            var error = Assert.Throws<LinuxError>(() => rtnl.CreateVethPair("wvhost0", "eth0", 0, podHandle));
            Assert.Equal(EEXIST, error.Errno);
            Assert.Null(rtnl.GetLink("wvhost0"));
        });
    }

    [Fact]
    public void EncodeVethPair_PutsTheNamespaceFdInsideThePeer()
    {
        byte[] buffer = new byte[512];
        byte[] request = RouteNetlink.EncodeVethPair(buffer, 7, "vethwepl1234567", "eth0", 1376, 9).ToArray();

        // nlmsghdr: RTM_NEWLINK, REQUEST|ACK|CREATE|EXCL, seq 7
        Assert.Equal(NetlinkConstants.RTM_NEWLINK, BitConverter.ToUInt16(request, 4));
        Assert.Equal(NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK | NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_EXCL,
            BitConverter.ToUInt16(request, 6));
        Assert.Equal(7u, BitConverter.ToUInt32(request, 8));
        Assert.Equal((uint)request.Length, BitConverter.ToUInt32(request, 0));
        // The peer's IFLA_NET_NS_FD (type 28, u32 9) comes after the peer's name "eth0", inside VETH_INFO_PEER.
        int peerName = IndexOf(request, "eth0\0"u8.ToArray());
        int netnsFd = IndexOf(request, [8, 0, 28, 0, 9, 0, 0, 0]);
        Assert.True(peerName > 0 && netnsFd > peerName, Convert.ToHexString(request));
        Assert.Equal(-1, IndexOf(RouteNetlink.EncodeVethPair(buffer, 7, "a", "b", 0, -1).ToArray(), [8, 0, 28, 0]));
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
