using Weave.Gossip;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class PeerAddressTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", 6783)]
    [InlineData("10.0.0.1:6790", "10.0.0.1", 6790)]
    [InlineData("host-a", "host-a", 6783)]
    [InlineData("host-a:1", "host-a", 1)]
    [InlineData("node1.example", "node1.example", 6783)]
    [InlineData("node1.example:65535", "node1.example", 65535)]
    [InlineData("[fd00::1]:6783", "fd00::1", 6783)]
    [InlineData("[fd00::1]", "fd00::1", 6783)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("localhost", "localhost", 6783)]
    [InlineData("a1", "a1", 6783)]
    public void TryParse_ValidAddress_GivesHostAndPort(string text, string host, int port)
    {
        Assert.True(PeerAddress.TryParse(text, 6783, out PeerAddress? address, out string error), error);
        Assert.Equal(new PeerAddress(host, port), address);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("not_a_host:99999", "not_a_host")]
    [InlineData("a:b:c", "[addr]:port")]
    [InlineData("fd00::1", "[addr]:port")]
    [InlineData("1.2.3.4:0", "port '0'")]
    [InlineData("1.2.3.4:65536", "port '65536'")]
    [InlineData("1.2.3.4:", "port ''")]
    [InlineData("1.2.3.4:+80", "port '+80'")]
    [InlineData("1.2.3.4: 80", "port ' 80'")]
    [InlineData("[fd00::1", "missing ']'")]
    [InlineData("[fd00::1]6783", "expected ':' after ']'")]
    [InlineData("[10.0.0.1]:6783", "not an IPv6 address")]
    [InlineData("[]:6783", "not an IPv6 address")]
    [InlineData("[fd00::1]:0", "port '0'")]
    [InlineData("-x", "'-x'")]
    [InlineData("x-", "'x-'")]
    [InlineData("a..b", "'a..b'")]
    [InlineData(".a", "'.a'")]
    [InlineData("1.2.3", "'1.2.3'")]
    [InlineData("256.1.1.1", "'256.1.1.1'")]
    [InlineData("1.2.3.4.5", "'1.2.3.4.5'")]
    [InlineData("123", "'123'")]
    [InlineData(":6783", "''")]
    [InlineData("host a", "'host a'")]
    [InlineData("hôst", "'hôst'")]
    public void TryParse_InvalidAddress_ErrorNamesTheInput(string text, string detail)
    {
        Assert.False(PeerAddress.TryParse(text, 6783, out PeerAddress? address, out string error));
        Assert.Null(address);
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
        Assert.Contains(detail, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void TryParse_Empty_Fails(string? text)
    {
        Assert.False(PeerAddress.TryParse(text, 6783, out _, out string error));
        Assert.Contains("empty peer address", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OverlongHostName_Fails()
    {
        string label = new('a', 63);
        string tooLong = string.Join('.', label, label, label, label); // 255 characters
        Assert.False(PeerAddress.TryParse(tooLong, 6783, out _, out _));
        Assert.False(PeerAddress.TryParse(new string('a', 64), 6783, out _, out _));
        Assert.True(PeerAddress.TryParse(label, 6783, out _, out _));
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1:6783")]
    [InlineData("host-a:99", "host-a:99")]
    [InlineData("[fd00::1]:6783", "[fd00::1]:6783")]
    [InlineData("[fd00::1]", "[fd00::1]:6783")]
    public void ToString_ParsesBackToTheSameAddress(string text, string expected)
    {
        Assert.True(PeerAddress.TryParse(text, 6783, out PeerAddress? address, out _));
        Assert.Equal(expected, address.ToString());
        Assert.True(PeerAddress.TryParse(address.ToString(), 1, out PeerAddress? again, out _));
        Assert.Equal(address, again);
    }
}
