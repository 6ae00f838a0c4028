using System.Net;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

public sealed class GratuitousArpTests
{
    private static readonly byte[] s_mac = [0x02, 0x42, 0x0a, 0x20, 0x00, 0x05];

    [Fact]
    public void Encode_WritesAnArpRequestForTheSenderItself()
    {
        byte[] packet = new byte[GratuitousArp.PacketBytes];
        GratuitousArp.Encode(packet, s_mac, IPAddress.Parse("10.32.0.5"));

        Assert.Equal("0001" + "0800" + "06" + "04" + "0001" + "02420A200005" + "0A200005" + "000000000000" + "0A200005",
            Convert.ToHexString(packet));
    }

    [Fact]
    public void Encode_RefusesIpv6AndShortMacs()
    {
        byte[] packet = new byte[GratuitousArp.PacketBytes];
        Assert.Throws<ArgumentException>(() => GratuitousArp.Encode(packet, s_mac, IPAddress.IPv6Loopback));
        Assert.Throws<ArgumentException>(() => GratuitousArp.Encode(packet, s_mac.AsSpan(0, 5), IPAddress.Loopback));
    }

    [RootFact]
    public void Send_BroadcastsTheAnnouncementOutOfTheLink()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVethPair("wvarp0", "wvarp1");
            LinkInfo a = rtnl.GetLink("wvarp0")!;
            LinkInfo b = rtnl.GetLink("wvarp1")!;
            rtnl.SetUp(a.Index);
            rtnl.SetUp(b.Index);
            using var wire = PacketSocket.Open(b.Index, GratuitousArp.EthPArp);

            // A veth set up transmits only once the kernel's link watcher has activated its queue,
            // which a loaded machine runs late; until then frames are dropped. So: send until one arrives.
            byte[] frame = [];
            for (int attempt = 0; attempt < 20 && frame.Length == 0; attempt++)
            {
                GratuitousArp.Send(a.Index, a.MacAddress, IPAddress.Parse("10.32.0.5"));
                frame = wire.Receive(TimeSpan.FromMilliseconds(500));
            }
            Assert.True(frame.Length >= 14 + GratuitousArp.PacketBytes, "no ARP frame arrived");
            Assert.Equal("FFFFFFFFFFFF", Convert.ToHexString(frame, 0, 6));
            Assert.Equal(Convert.ToHexString(a.MacAddress), Convert.ToHexString(frame, 6, 6));
            Assert.Equal("0806", Convert.ToHexString(frame, 12, 2));
            byte[] expected = new byte[GratuitousArp.PacketBytes];
            GratuitousArp.Encode(expected, a.MacAddress, IPAddress.Parse("10.32.0.5"));
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(frame, 14, GratuitousArp.PacketBytes));
        });
    }
}
