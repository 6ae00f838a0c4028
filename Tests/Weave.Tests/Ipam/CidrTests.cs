using System.Net;
using Weave.Ipam;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class CidrTests
{
    [Theory]
    [InlineData("10.32.0.0/12", "10.32.0.0", 12, 1048576L, "10.32.0.1", "10.47.255.254")]
    [InlineData("192.168.1.0/24", "192.168.1.0", 24, 256L, "192.168.1.1", "192.168.1.254")]
    [InlineData("10.0.0.4/30", "10.0.0.4", 30, 4L, "10.0.0.5", "10.0.0.6")]
    [InlineData("10.0.0.4/31", "10.0.0.4", 31, 2L, "10.0.0.4", "10.0.0.5")]
    [InlineData("10.0.0.9/32", "10.0.0.9", 32, 1L, "10.0.0.9", "10.0.0.9")]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, 4294967296L, "0.0.0.1", "255.255.255.254")]
    public void TryParse_AlignedBlock_GivesItsParts(string text, string network, int prefix, long size, string first, string last)
    {
        Assert.True(Cidr.TryParse(text, out Cidr cidr, out string error), error);
        Assert.Equal(IPAddress.Parse(network), cidr.Network);
        Assert.Equal(prefix, cidr.PrefixLength);
        Assert.Equal(size, cidr.Size);
        Assert.Equal(IPAddress.Parse(first), cidr.FirstHost);
        Assert.Equal(IPAddress.Parse(last), cidr.LastHost);
        Assert.Equal(text, cidr.ToString());
    }

    [Fact]
    public void TryParse_Unaligned_IsRefusedNamingTheAlignedBlock()
    {
        Assert.False(Cidr.TryParse("10.32.0.1/12", out _, out string error));
        Assert.Contains("did you mean 10.32.0.0/12", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.32.0.0")]
    [InlineData("10.32.0.0/33")]
    [InlineData("10.32.0.0/-1")]
    [InlineData("10.32.0/12")]
    [InlineData("fe80::/64")]
    [InlineData("10.32.0.0/ 12")]
    [InlineData("banana/12")]
    public void TryParse_Garbage_IsRefused(string text)
    {
        Assert.False(Cidr.TryParse(text, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void ContainsAndOverlaps_FollowTheBlocks()
    {
        Cidr range = Cidr.Parse("10.32.0.0/12");
        Cidr inner = Cidr.Parse("10.40.0.0/16");
        Cidr outside = Cidr.Parse("10.48.0.0/16");
        Assert.True(range.Contains(inner));
        Assert.False(inner.Contains(range));
        Assert.True(range.Overlaps(inner) && inner.Overlaps(range));
        Assert.False(range.Overlaps(outside) || outside.Overlaps(range));
        Assert.False(range.Contains(outside));
        Assert.True(range.Contains(IPAddress.Parse("10.47.255.255")));
        Assert.False(range.Contains(IPAddress.Parse("10.48.0.0")));
        Assert.False(range.Contains(IPAddress.IPv6Loopback));
        Assert.Equal(Cidr.Parse("10.32.0.0/12"), Cidr.Containing(IPAddress.Parse("10.33.4.5"), 12));
    }
}
