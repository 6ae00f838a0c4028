using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class RingTests
{
    internal static PeerName P(int i) => new(0x0200_0000_0000UL + (ulong)i);

    internal static readonly Cidr Range24 = Cidr.Parse("10.0.0.0/24");

    private static uint A(string ip) => Ip4.ToUInt(System.Net.IPAddress.Parse(ip));

    [Fact]
    public void Seeded_SplitsIntoCidrAlignedShares_SameForAnyOrderOfPeers()
    {
        Ring ring = Ring.Seeded(Range24, [P(3), P(1), P(2)]);
        Assert.Equal(Ring.Seeded(Range24, [P(1), P(2), P(3), P(2)]), ring);
        Assert.Equal([P(1), P(2), P(3)], ring.Seeds.ToArray());
        Assert.Equal([A("10.0.0.0"), A("10.0.0.64"), A("10.0.0.128")], ring.Entries.ToArray().Select(e => e.Token));
        Assert.Equal([P(1), P(2), P(3)], ring.Entries.ToArray().Select(e => e.Owner));
        Dictionary<PeerName, long> owned = ring.OwnedCounts();
        Assert.Equal(256, owned.Values.Sum());
        foreach (RingEntry e in ring.Entries)
        {
            Assert.Equal(0u, e.Token % (uint)ring.SpanSize(ring.IndexOf(e.Token)));
        }
    }

    [Fact]
    public void OwnerOf_WrapsFromTheLastTokenToTheFirst()
    {
        Ring ring = Ring.Seeded(Range24, [P(1), P(2)]).Grant(A("10.0.0.0"), A("10.0.0.16"), P(1), P(3));
        Assert.Equal(P(3), ring.OwnerOf(A("10.0.0.15")));
        Assert.Equal(P(1), ring.OwnerOf(A("10.0.0.16")));
        Assert.Equal(P(2), ring.OwnerOf(A("10.0.0.255")));
        Assert.Null(ring.OwnerOf(A("10.0.1.0")));
        Ring.TryCreate(Range24, [P(1)], [new RingEntry(A("10.0.0.100"), P(1), 0, 0), new RingEntry(A("10.0.0.200"), P(2), 0, 0)], out Ring? wrapped, out _);
        Assert.Equal(P(2), wrapped!.OwnerOf(A("10.0.0.5")));
        Assert.Equal(156UL, wrapped.SpanSize(1));
        Assert.Equal([(A("10.0.0.200"), (ulong)A("10.0.1.0")), (A("10.0.0.0"), (ulong)A("10.0.0.100"))], wrapped.Spans(1));
    }

    [Fact]
    public void Grant_InTheMiddle_AddsTokensAtBothEnds_AndRaisesVersions()
    {
        Ring ring = Ring.Seeded(Range24, [P(1), P(2)]);
        Ring granted = ring.Grant(A("10.0.0.32"), A("10.0.0.48"), P(1), P(3));
        Assert.Equal(4, granted.Count);
        Assert.Equal(P(1), granted.OwnerOf(A("10.0.0.31")));
        Assert.Equal(P(3), granted.OwnerOf(A("10.0.0.32")));
        Assert.Equal(P(3), granted.OwnerOf(A("10.0.0.47")));
        Assert.Equal(P(1), granted.OwnerOf(A("10.0.0.48")));
        Assert.True(granted.Entries[0].Version > ring.Entries[0].Version);
        Assert.Equal(16u, granted.Entries[1].Free);
        Assert.Throws<InvalidOperationException>(() => ring.Grant(A("10.0.0.120"), A("10.0.0.130"), P(1), P(3)));
    }

    [Fact]
    public void TransferAll_GivesEachEntryToThePrecedingOwner_WithTheAdminBump()
    {
        Ring ring = Ring.Seeded(Range24, [P(1), P(2), P(3), P(4)]);
        Ring once = ring.TransferAll(P(3), _ => true, P(9), out long n);
        Assert.Equal(64, n);
        Assert.Equal(P(2), once.OwnerOf(A("10.0.0.130")));
        Assert.Equal(Ring.AdminVersionBump, once.Entries[2].Version);
        Ring again = once.TransferAll(P(3), _ => true, P(9), out long none);
        Assert.Same(once, again);
        Assert.Equal(0, none);
        Ring first = ring.TransferAll(P(1), _ => true, P(9), out _);
        Assert.Equal(P(4), first.OwnerOf(A("10.0.0.0")));
    }

    [Fact]
    public void TryCreate_RefusesBrokenRings()
    {
        Assert.False(Ring.TryCreate(Range24, [P(1)], [new RingEntry(A("10.0.1.0"), P(1), 0, 0)], out _, out string e1));
        Assert.Contains("outside", e1, StringComparison.Ordinal);
        Assert.False(Ring.TryCreate(Range24, [P(1)], [new RingEntry(A("10.0.0.9"), P(1), 0, 0), new RingEntry(A("10.0.0.8"), P(1), 0, 0)], out _, out string e2));
        Assert.Contains("sorted", e2, StringComparison.Ordinal);
        Assert.False(Ring.TryCreate(Range24, [P(1)], [new RingEntry(A("10.0.0.8"), P(1), 0, 0), new RingEntry(A("10.0.0.8"), P(2), 0, 0)], out _, out _));
        Assert.False(Ring.TryCreate(Range24, [P(1)], [new RingEntry(A("10.0.0.8"), default, 0, 0)], out _, out string e3));
        Assert.Contains("owner", e3, StringComparison.Ordinal);
        Assert.False(Ring.TryCreate(Range24, [], [new RingEntry(A("10.0.0.8"), P(1), 0, 0)], out _, out _));
        Assert.False(Ring.TryCreate(Range24, [P(2), P(1)], [new RingEntry(A("10.0.0.8"), P(1), 0, 0)], out _, out _));
    }

    [Fact]
    public void TryMerge_DifferentSeedsOrRanges_IsRefusedWithBothSeedSets()
    {
        Ring a = Ring.Seeded(Range24, [P(1), P(2)]);
        Ring b = Ring.Seeded(Range24, [P(3)]);
        Assert.False(Ring.TryMerge(a, b, out _, out string error));
        Assert.Contains("seeded by different peers", error, StringComparison.Ordinal);
        Assert.Contains(P(1).ToString(), error, StringComparison.Ordinal);
        Assert.Contains(P(3).ToString(), error, StringComparison.Ordinal);
        Assert.Contains("delete", error, StringComparison.Ordinal);
        Assert.False(Ring.TryMerge(a, Ring.Seeded(Cidr.Parse("10.0.1.0/24"), [P(1), P(2)]), out _, out string e2));
        Assert.Contains("incompatible IP allocation ranges", e2, StringComparison.Ordinal);
        Assert.True(Ring.TryMerge(Ring.Empty(Range24), a, out Ring merged, out _));
        Assert.Same(a, merged);
    }

    [Fact]
    public void Merge_SameTokenSameVersion_BreaksTheTieByOwnerThenFree()
    {
        RingEntry x = new(A("10.0.0.0"), P(1), 5, 10), y = x with { Owner = P(2) }, z = x with { Free = 11 };
        Assert.True(RingEntry.Compare(y, x) > 0);
        Assert.True(RingEntry.Compare(z, x) > 0);
        Assert.True(RingEntry.Compare(x with { Version = 6 }, y) > 0);
    }
}
