using Weave.Gossip;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class SleeveHeaderTests
{
    private static readonly PeerName s_source = new(0x02_11_22_33_44_55);
    private static readonly PeerName s_destination = new(0x0A_BB_CC_DD_EE_FF);

    [Fact]
    public void Write_Unicast_IsTheDocumentedLayout()
    {
        byte[] header = new byte[SleeveHeader.SizeBytes];
        new SleeveHeader(SleeveKind.Unicast, s_source, s_destination).Write(header);
        // 'W' | kind 1 | source 02:11:22:33:44:55 | destination 0a:bb:cc:dd:ee:ff
        Assert.Equal(new byte[] { 0x57, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF }, header);
    }

    [Fact]
    public void Write_Flood_HasKindTwo()
    {
        byte[] header = new byte[SleeveHeader.SizeBytes];
        new SleeveHeader(SleeveKind.Flood, s_source, s_destination).Write(header);
        Assert.Equal(0x02, header[1]);
    }

    [Fact]
    public void TryRead_HandWrittenDatagram_GivesKindAndPeers()
    {
        byte[] datagram = [0x57, 0x02, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0xFF, 0xFF];
        Assert.True(SleeveHeader.TryRead(datagram, out SleeveHeader header));
        Assert.Equal(new SleeveHeader(SleeveKind.Flood, s_source, s_destination), header);
    }

    [Fact]
    public void TryRead_Heartbeat_IsKindThree()
    {
        byte[] datagram = [0x57, 0x03, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF];
        Assert.True(SleeveHeader.TryRead(datagram, out SleeveHeader header));
        Assert.Equal(SleeveKind.Heartbeat, header.Kind);
    }

    [Fact]
    public void HeartbeatBody_Write_IsTheDocumentedLayout()
    {
        byte[] body = new byte[HeartbeatBody.SizeBytes];
        HeartbeatBody.Write(body, s_source, s_destination, HeartbeatBody.HeardSleeve | HeartbeatBody.HeardVxlan);
        Assert.Equal(new byte[] { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x03 }, body);
        Assert.True(HeartbeatBody.TryRead(body, out PeerName sender, out PeerName receiver, out byte flags));
        Assert.Equal((s_source, s_destination, (byte)3), (sender, receiver, flags));
    }

    [Theory]
    [InlineData(12, 0)]    // one byte short
    [InlineData(13, 8)]    // an unknown flag
    [InlineData(13, 0x80)]
    public void HeartbeatBody_TryRead_Bad_IsRefused(int length, byte flags)
    {
        byte[] body = new byte[length];
        if (length == HeartbeatBody.SizeBytes)
        {
            body[12] = flags;
        }
        Assert.False(HeartbeatBody.TryRead(body, out _, out _, out _));
    }

    [Fact]
    public void IsVxlanHeartbeat_OnlyAllZeroEthernetHeader()
    {
        Assert.True(HeartbeatBody.IsVxlanHeartbeat(new byte[14]));
        Assert.False(HeartbeatBody.IsVxlanHeartbeat(new byte[13]));
        for (int i = 0; i < 14; i++)
        {
            byte[] header = new byte[14];
            header[i] = 1;
            Assert.False(HeartbeatBody.IsVxlanHeartbeat(header));
        }
    }

    [Fact]
    public void WriteDestination_ChangesOnlyTheDestination()
    {
        byte[] header = new byte[SleeveHeader.SizeBytes];
        new SleeveHeader(SleeveKind.Flood, s_source, s_destination).Write(header);
        SleeveHeader.WriteDestination(header, new PeerName(0x0000_0000_0102));
        Assert.Equal(new byte[] { 0x57, 0x02, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 0, 0, 0x01, 0x02 }, header);
    }

    public static TheoryData<string, byte[]> BadHeaders() => new()
    {
        { "empty", [] },
        { "one byte short", [0x57, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE] },
        { "wrong magic", [0x58, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF] },
        { "VXLAN instead", [0x08, 0, 0, 0, 0x00, 0x1A, 0x7F, 0x00, 0, 0, 0, 0, 0, 0] },
        { "kind 0", [0x57, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF] },
        { "kind 5", [0x57, 0x05, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF] },
        { "kind 255", [0x57, 0xFF, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x0A, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF] },
        { "source is destination", [0x57, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55] },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void TryRead_BadHeader_IsRefused(string description, byte[] datagram)
    {
        Assert.False(SleeveHeader.TryRead(datagram, out SleeveHeader header), description);
        Assert.Equal(default, header);
    }
}
