using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class EthernetFrameTests
{
    [Fact]
    public void DestinationAndSource_ReadBigEndian48BitFields()
    {
        byte[] frame = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x08, 0x00];
        Assert.Equal(0x010203040506UL, EthernetFrame.Destination(frame));
        Assert.Equal(0xA1B2C3D4E5F6UL, EthernetFrame.Source(frame));
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_FFFFUL, true)]   // broadcast
    [InlineData(0x0100_5E00_0001UL, true)]   // IPv4 multicast
    [InlineData(0x3333_0000_0001UL, true)]   // IPv6 multicast
    [InlineData(0x0200_0000_0001UL, false)]  // locally administered unicast
    [InlineData(0x5E1A_0000_0001UL, false)]
    [InlineData(0x0000_0000_0001UL, false)]  // low bit of the last octet is not the group bit
    [InlineData(0xFEFF_FFFF_FFFFUL, false)]
    public void IsGroup_TestsFirstOctetBit0(ulong mac, bool expected)
    {
        Assert.Equal(expected, EthernetFrame.IsGroup(mac));
    }

    [Theory]
    [InlineData(0x5E1A_000B_CDEFUL, "5e:1a:00:0b:cd:ef")]
    [InlineData(0xFFFF_FFFF_FFFFUL, "ff:ff:ff:ff:ff:ff")]
    [InlineData(0UL, "00:00:00:00:00:00")]
    public void Format_IsLowerCaseColonSeparated(ulong mac, string expected)
    {
        Assert.Equal(expected, EthernetFrame.Format(mac));
    }

    [Fact]
    public void Format_AgreesWithFramesBuiltForTests()
    {
        byte[] frame = Frames.Ethernet(0x0A0B0C0D0E0F, 0x111213141516);
        Assert.Equal("0a:0b:0c:0d:0e:0f", EthernetFrame.Format(EthernetFrame.Destination(frame)));
        Assert.Equal("11:12:13:14:15:16", EthernetFrame.Format(EthernetFrame.Source(frame)));
    }
}
