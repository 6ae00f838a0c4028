using System.Net;
using Weave.Gossip;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class ClusterIdentityTests
{
    [Theory]
    [InlineData("10.32.0.0/12")]
    [InlineData("192.168.0.0/24")]
    [InlineData("fd00:32::/64")]
    public void TryParseRange_NetworkWithPrefix_Parses(string text)
    {
        Assert.True(ClusterIdentity.TryParseRange(text, out IPNetwork? range, out string error), error);
        Assert.Equal(text, range.ToString());
    }

    [Theory]
    [InlineData("10.32.0.1/12", "host bits")]
    [InlineData("fd00::1/64", "host bits")]
    [InlineData("10.32.0.0", "prefix length")]
    [InlineData("10.32.0.0/33", "prefix length")]
    [InlineData("a-cluster", "prefix length")]
    [InlineData("", "prefix length")]
    public void TryParseRange_NotANetwork_SaysWhy(string text, string expected)
    {
        Assert.False(ClusterIdentity.TryParseRange(text, out IPNetwork? range, out string error));
        Assert.Null(range);
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("east-1")]
    [InlineData("10-32-0-0-12")]
    public void TryCreate_DnsLabel_IsAName(string name)
    {
        Assert.True(ClusterIdentity.TryCreate(name, null, out ClusterIdentity? cluster, out string error), error);
        Assert.Equal($"{name} (no IP allocation)", cluster.Display);
    }

    [Theory]
    [InlineData("")]
    [InlineData("East")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a_b")]
    [InlineData("a b")]
    public void TryCreate_NotADnsLabel_Refused(string name)
    {
        Assert.False(ClusterIdentity.TryCreate(name, null, out ClusterIdentity? cluster, out string error));
        Assert.Null(cluster);
        Assert.Contains("cluster name", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.32.0.0/12", "10.32.0.0/16", true)]
    [InlineData("10.32.0.0/16", "10.32.0.0/12", true)]
    [InlineData("10.32.0.0/12", "10.47.255.0/24", true)]
    [InlineData("10.32.0.0/12", "10.48.0.0/12", false)]
    [InlineData("10.32.0.0/12", "fd00::/8", false)]
    public void Overlap_NestedBlocksOverlap_ApartOnesDoNot(string a, string b, bool overlap)
    {
        Assert.Equal(overlap, ClusterIdentity.Overlap(IPNetwork.Parse(a), IPNetwork.Parse(b)));
    }
}
