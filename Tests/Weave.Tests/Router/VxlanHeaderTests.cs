using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class VxlanHeaderTests
{
    [Fact]
    public void Write_Vni6783_IsRfc7348Layout()
    {
        byte[] header = new byte[VxlanHeader.SizeBytes];
        VxlanHeader.Write(header, 6783);
        // 6783 = 0x001A7F: flags I | 24 reserved bits | VNI | 8 reserved bits
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0x00, 0x1A, 0x7F, 0x00 }, header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6783)]
    [InlineData(VxlanHeader.MaxVni)]
    public void TryRead_OwnEncoding_GivesVni(int vni)
    {
        byte[] header = new byte[VxlanHeader.SizeBytes];
        VxlanHeader.Write(header, vni);
        Assert.True(VxlanHeader.TryRead(header, out int read));
        Assert.Equal(vni, read);
    }

    [Fact]
    public void TryRead_LongerDatagram_ReadsOnlyTheHeader()
    {
        byte[] datagram = [0x08, 0, 0, 0, 0x00, 0x1A, 0x7F, 0x00, 0xFF, 0xFF];
        Assert.True(VxlanHeader.TryRead(datagram, out int vni));
        Assert.Equal(6783, vni);
    }

    [Theory]
    [InlineData(0, 0x00)]  // I flag clear
    [InlineData(0, 0x0C)]  // I and a reserved flag
    [InlineData(0, 0x88)]  // I and the top reserved flag (GPE/GBP-style extensions)
    [InlineData(0, 0x80)]
    [InlineData(1, 0x01)]  // reserved bits after the flags
    [InlineData(2, 0x80)]
    [InlineData(3, 0x01)]
    [InlineData(7, 0x01)]  // reserved byte after the VNI
    [InlineData(7, 0xFF)]
    public void TryRead_ReservedBitsOrFlags_Rejected(int index, byte value)
    {
        byte[] header = new byte[VxlanHeader.SizeBytes];
        VxlanHeader.Write(header, 6783);
        header[index] = value;
        Assert.False(VxlanHeader.TryRead(header, out int vni));
        Assert.Equal(0, vni);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void TryRead_ShortInput_Rejected(int length)
    {
        byte[] header = new byte[VxlanHeader.SizeBytes];
        VxlanHeader.Write(header, 6783);
        Assert.False(VxlanHeader.TryRead(header.AsSpan(0, length), out _));
    }
}
