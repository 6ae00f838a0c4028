using FsCheck;
using FsCheck.Fluent;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;

namespace Weave.Tests.Ipam;

/// <summary>A ring as a replica may hold it: a common seeded ring edited by random owners (grants, free reports).</summary>
public sealed class RingSample
{
    internal RingSample(Ring ring, int seed)
    {
        Ring = ring;
        Seed = seed;
    }

    internal Ring Ring { get; }

    public int Seed { get; }

    public override string ToString() => $"seed {Seed}: {Ring}";
}

public static class RingArbitraries
{
    internal static readonly Cidr Range = Cidr.Parse("10.1.0.0/26");
    internal static readonly PeerName[] Seeds = [RingTests.P(1), RingTests.P(2), RingTests.P(3)];
    private const int PeerCount = 5;

    /// <summary>The common history every sample starts from, then a few edits of its own.</summary>
    internal static Ring Build(int seed)
    {
        var random = new Random(seed);
        Ring ring = Edit(Ring.Seeded(Range, Seeds), new Random(seed % 4), 4);
        return Edit(ring, random, random.Next(0, 6));
    }

    /// <summary>Random owners' edits: free-count reports, and grants to one of <paramref name="peers"/> (P(1)..P(5) when null).</summary>
    internal static Ring Edit(Ring ring, Random random, int edits, IReadOnlyList<PeerName>? peers = null)
    {
        for (int n = 0; n < edits; n++)
        {
            int i = random.Next(ring.Count);
            RingEntry e = ring.Entries[i];
            if (random.Next(3) == 0)
            {
                ring = ring.WithFree(e.Owner, j => j == i ? (uint)random.Next(0, (int)ring.SpanSize(j) + 1) : ring.Entries[j].Free);
                continue;
            }
            (uint s, ulong end) = ring.Spans(i).First();
            uint start = s + (uint)random.Next(0, (int)(end - s));
            ulong stop = start + (ulong)random.Next(1, (int)(end - start) + 1);
            PeerName to = peers is null ? RingTests.P(random.Next(1, PeerCount + 1)) : peers[random.Next(peers.Count)];
            if (to != e.Owner)
            {
                ring = ring.Grant(start, stop, e.Owner, to);
            }
        }
        return ring;
    }

    public static Arbitrary<RingSample> Samples() =>
        Gen.Choose(0, int.MaxValue).Select(seed => new RingSample(Build(seed), seed)).ToArbitrary();
}
