using System.Net;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Router.Kubernetes;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class LocalRangesTests
{
    private static readonly PeerName s_self = new(0xaa0000000001);
    private static readonly PeerName s_other = new(0xbb0000000002);

    private static IpamStatus Status(params (string Token, PeerName Owner)[] ring) =>
        new(Cidr.Parse("10.32.0.0/12"), Cidr.Parse("10.32.0.0/12"), "consensus=2", "ready", true, [], 0, 0, 0, null, 0,
            [.. ring.Select(e => new IpamRingToken(IPAddress.Parse(e.Token), e.Owner, 1, 0))]);

    private static (IPAddress, IPAddress) Range(string first, string last) => (IPAddress.Parse(first), IPAddress.Parse(last));

    [Fact]
    public void Of_OurEntries_AreTheirSpans_WithAdjacentOnesMerged()
    {
        IpamStatus status = Status(("10.32.0.0", s_self), ("10.36.0.0", s_self), ("10.40.0.0", s_other), ("10.44.0.0", s_self));
        Assert.Equal([Range("10.32.0.0", "10.39.255.255"), Range("10.44.0.0", "10.47.255.255")], LocalRanges.Of(status, s_self));
        Assert.Equal([Range("10.40.0.0", "10.43.255.255")], LocalRanges.Of(status, s_other));
    }

    [Fact]
    public void Of_LastEntryWrapsToTheFirstToken()
    {
        IpamStatus status = Status(("10.34.0.0", s_other), ("10.40.0.0", s_self));
        Assert.Equal([Range("10.32.0.0", "10.33.255.255"), Range("10.40.0.0", "10.47.255.255")], LocalRanges.Of(status, s_self));
    }

    [Fact]
    public void Of_EmptyRing_IsNothing() => Assert.Empty(LocalRanges.Of(Status(), s_self));
}
