using FsCheck.Xunit;
using Weave.Ipam.Rings;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>The ring's merge is a semilattice over rings of one range and seed set, whatever the edits.</summary>
public sealed class RingMergeProperties
{
    [Property(Arbitrary = [typeof(RingArbitraries)], MaxTest = 300)]
    public bool Merge_IsCommutative(RingSample a, RingSample b) =>
        Ring.Merge(a.Ring, b.Ring).Equals(Ring.Merge(b.Ring, a.Ring));

    [Property(Arbitrary = [typeof(RingArbitraries)], MaxTest = 300)]
    public bool Merge_IsAssociative(RingSample a, RingSample b, RingSample c) =>
        Ring.Merge(Ring.Merge(a.Ring, b.Ring), c.Ring).Equals(Ring.Merge(a.Ring, Ring.Merge(b.Ring, c.Ring)));

    [Property(Arbitrary = [typeof(RingArbitraries)], MaxTest = 300)]
    public bool Merge_IsIdempotent(RingSample a, RingSample b)
    {
        Ring ab = Ring.Merge(a.Ring, b.Ring);
        return Ring.Merge(a.Ring, a.Ring).Equals(a.Ring) && Ring.Merge(ab, b.Ring).Equals(ab) && Ring.Merge(ab, a.Ring).Equals(ab);
    }

    [Property(Arbitrary = [typeof(RingArbitraries)], MaxTest = 300)]
    public bool Merge_KeepsTheInvariants_AndEveryToken(RingSample a, RingSample b)
    {
        Ring ab = Ring.Merge(a.Ring, b.Ring);
        ab.CheckInvariants();
        var tokens = ab.Entries.ToArray().Select(e => e.Token).ToHashSet();
        return a.Ring.Entries.ToArray().All(e => tokens.Contains(e.Token)) && b.Ring.Entries.ToArray().All(e => tokens.Contains(e.Token));
    }

    [Fact]
    public void Merge_WithTheEmptyRing_IsTheIdentity()
    {
        Ring a = RingArbitraries.Build(7);
        Assert.Same(a, Ring.Merge(a, Ring.Empty(a.Range)));
        Assert.Same(a, Ring.Merge(Ring.Empty(a.Range), a));
    }
}
