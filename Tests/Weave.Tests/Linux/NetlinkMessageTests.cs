using Weave.Linux;
using Xunit;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Linux;

/// <summary>Golden bytes for the request encoder (little-endian host, as on x64 and arm64).</summary>
public sealed class NetlinkMessageTests
{
    [Fact]
    public void CreateBridgeRequest_EncodesHeaderIfInfoMsgAndNestedKind()
    {
        byte[] buffer = new byte[256];
        var message = new NetlinkMessage(buffer, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sequence: 7);
        message.WriteIfInfoMsg(index: 0);
        message.AddString(IFLA_IFNAME, "br0");
        int linkInfo = message.BeginNested(IFLA_LINKINFO);
        message.AddString(IFLA_INFO_KIND, "bridge");
        message.EndNested(linkInfo);
        byte[] encoded = message.Finish().ToArray();

        byte[] expected =
        [
            56, 0, 0, 0, 16, 0, 0x05, 0x06, 7, 0, 0, 0, 0, 0, 0, 0,   // nlmsghdr: len 56, RTM_NEWLINK, flags 0x605, seq 7
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           // ifinfomsg
            8, 0, 3, 0, (byte)'b', (byte)'r', (byte)'0', 0,            // IFLA_IFNAME "br0\0"
            16, 0, 18, 0,                                              // IFLA_LINKINFO, 16 bytes
            11, 0, 1, 0, (byte)'b', (byte)'r', (byte)'i', (byte)'d', (byte)'g', (byte)'e', 0, 0, // IFLA_INFO_KIND "bridge\0" + pad
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void UInt32Attribute_AndIfInfoFlags_AreHostOrder()
    {
        byte[] buffer = new byte[64];
        var message = new NetlinkMessage(buffer, RTM_NEWLINK, NLM_F_REQUEST, sequence: 0x01020304);
        message.WriteIfInfoMsg(index: 5, flags: IFF_UP, change: IFF_UP);
        message.AddUInt32(IFLA_MTU, 1376);
        byte[] encoded = message.Finish().ToArray();

        Assert.Equal(40, encoded.Length);
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, encoded[8..12]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 }, encoded[16..32]);
        Assert.Equal(new byte[] { 8, 0, 4, 0, 0x60, 0x05, 0, 0 }, encoded[32..40]);
    }

    [Fact]
    public void Overflow_ThrowsInvalidOperation()
    {
        byte[] buffer = new byte[24];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var message = new NetlinkMessage(buffer, RTM_GETLINK, NLM_F_REQUEST, 1);
            message.WriteIfInfoMsg(0);
        });
    }

    [Fact]
    public void EncodedLink_RoundTripsThroughTheParser()
    {
        byte[] payload = NetlinkParserTests.LinkPayload(index: 9, name: "weave", kind: "bridge", mtu: 1376, master: 3, up: true);

        Assert.True(NetlinkParser.TryParseLink(payload, out LinkInfo? link));

        Assert.Equal(9, link.Index);
        Assert.Equal("weave", link.Name);
        Assert.Equal("bridge", link.Kind);
        Assert.Equal(1376, link.Mtu);
        Assert.Equal(3, link.MasterIndex);
        Assert.True(link.IsUp);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 9 }, link.MacAddress);
    }
}
