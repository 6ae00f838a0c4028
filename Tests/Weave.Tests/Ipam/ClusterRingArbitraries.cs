using FsCheck;
using FsCheck.Fluent;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;

namespace Weave.Tests.Ipam;

/// <summary>
/// The rings two clusters may hold: ours and theirs over disjoint ranges (side by side or apart,
/// /17 to /30), each seeded by one to three of its own peers and edited at random by them; and
/// theirs again as if they had been given our range by mistake, seeded apart.
/// </summary>
public sealed class ClusterRings
{
    internal ClusterRings(Ring ours, Ring theirs, Ring theirsOnOurRange, int seed)
    {
        Ours = ours;
        Theirs = theirs;
        TheirsOnOurRange = theirsOnOurRange;
        Seed = seed;
    }

    internal Ring Ours { get; }

    internal Ring Theirs { get; }

    internal Ring TheirsOnOurRange { get; }

    public int Seed { get; }

    public override string ToString() => $"seed {Seed}: ours {Ours}; theirs {Theirs}; theirs on our range {TheirsOnOurRange}";
}

public static class ClusterRingArbitraries
{
    internal static readonly PeerName[] OurPeers = [.. Enumerable.Range(1, 5).Select(RingTests.P)];
    internal static readonly PeerName[] TheirPeers = [.. Enumerable.Range(11, 5).Select(RingTests.P)];

    internal static ClusterRings Build(int seed)
    {
        var random = new Random(seed);
        // A block of 10.0.0.0/8 split in halves, one range in each: disjoint, and adjacent when
        // both touch the middle.
        int parentPrefix = random.Next(16, 29);
        uint parent = (Cidr.Parse("10.0.0.0/8").Start | (uint)random.Next(1 << 24)) & Cidr.Mask(parentPrefix);
        uint half = 1u << (32 - parentPrefix - 1);
        Cidr lower = Within(parent, parentPrefix + 1, random), upper = Within(parent + half, parentPrefix + 1, random);
        (Cidr ourRange, Cidr theirRange) = random.Next(2) == 0 ? (lower, upper) : (upper, lower);
        return new ClusterRings(
            Seeded(ourRange, OurPeers, random),
            Seeded(theirRange, TheirPeers, random),
            Seeded(ourRange, TheirPeers, random),
            seed);
    }

    /// <summary>A random block of at most /30 inside the block at <paramref name="start"/>.</summary>
    private static Cidr Within(uint start, int prefix, Random random)
    {
        int inner = random.Next(prefix, Math.Min(30, prefix + 4) + 1);
        uint offset = (uint)random.Next(1 << (inner - prefix)) << (32 - inner);
        return Cidr.FromValue(start + offset, inner);
    }

    private static Ring Seeded(Cidr range, PeerName[] peers, Random random)
    {
        Ring ring = Ring.Seeded(range, peers.Take(random.Next(1, 4)));
        return RingArbitraries.Edit(ring, random, random.Next(0, 6), peers);
    }

    public static Arbitrary<ClusterRings> Rings() =>
        Gen.Choose(0, int.MaxValue).Select(seed => Build(seed)).ToArbitrary();
}
