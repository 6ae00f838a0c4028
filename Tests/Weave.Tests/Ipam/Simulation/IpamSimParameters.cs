using Weave.Ipam;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>Which step table a schedule draws from, and how its seed is named for a replay.</summary>
internal enum ScheduleKind
{
    /// <summary>One cluster: the schedules the IPAM simulation ran before clusters existed, seed for seed.</summary>
    OneCluster,

    /// <summary>1–4 clusters sharing a mesh, with steps that cut clusters apart and probe the healthy ones.</summary>
    Clusters,
}

internal sealed record IpamSimParameters(int Replicas, int Steps, double LossRate, double DuplicationRate, ScheduleKind Kind,
    IReadOnlyList<SimClusterSpec> Clusters)
{
    /// <summary>Every replica in one cluster: seeded by consensus among all, or by the first <c>replicas - joiners</c>.</summary>
    public static IpamSimParameters OneCluster(int replicas, int steps, double lossRate, double duplicationRate, bool consensus, Cidr range, int joiners) =>
        new(replicas, steps, lossRate, duplicationRate, ScheduleKind.OneCluster,
            [new SimClusterSpec("c", range, consensus, joiners, [.. Enumerable.Range(0, replicas)])]);

    /// <summary>Parameters drawn from a seed: mostly small meshes, some large; a quarter seeded by consensus.</summary>
    public static IpamSimParameters FromSeed(int seed, int maxReplicas)
    {
        var random = new Random(unchecked(seed * 31 + 17));
        int replicas = random.Next(10) switch
        {
            < 6 => random.Next(2, 5),
            < 9 => random.Next(4, 9),
            _ => random.Next(8, maxReplicas + 1),
        };
        return OneCluster(
            replicas,
            steps: random.Next(20, 60),
            lossRate: random.Next(3) == 0 ? 0 : random.NextDouble() * 0.2,
            duplicationRate: random.NextDouble() * 0.1,
            consensus: random.Next(4) == 0,
            range: Cidr.Parse(random.Next(3) == 0 ? "10.32.0.0/26" : "10.32.0.0/24"),
            joiners: replicas > 2 ? random.Next(0, 2) : 0);
    }

    /// <summary>
    /// A mesh of 1–4 clusters (mostly 2–3) of 1–5 replicas each, dealt at random so that names of
    /// clusters interleave. Ranges are /24 or /26 blocks laid side by side from 10.32.0.0, so an
    /// address one past a cluster's range is the next cluster's; a third of the clusters seed by
    /// consensus, the others from a seed list with maybe one joiner.
    /// </summary>
    public static IpamSimParameters ClustersFromSeed(int seed)
    {
        var random = new Random(unchecked(seed * 37 + 5));
        int count = random.Next(10) switch
        {
            0 => 1,
            < 5 => 2,
            < 8 => 3,
            _ => 4,
        };
        int[] sizes = [.. Enumerable.Range(0, count).Select(_ => random.Next(4) == 0 ? random.Next(1, 3) : random.Next(2, 6))];
        int replicas = sizes.Sum();
        int[] dealt = [.. Enumerable.Range(0, replicas)];
        random.Shuffle(dealt);
        var clusters = new List<SimClusterSpec>(count);
        uint next = Cidr.Parse("10.32.0.0/12").Start;
        int taken = 0;
        for (int k = 0; k < count; k++)
        {
            int prefix = random.Next(3) == 0 ? 26 : 24;
            uint size = 1u << (32 - prefix);
            next = (next + size - 1) & ~(size - 1);
            bool consensus = random.Next(3) == 0;
            int joiners = !consensus && sizes[k] > 2 ? random.Next(0, 2) : 0;
            clusters.Add(new SimClusterSpec(((char)('a' + k)).ToString(), Cidr.FromValue(next, prefix), consensus, joiners,
                [.. dealt.Skip(taken).Take(sizes[k]).Order()]));
            next += size;
            taken += sizes[k];
        }
        return new IpamSimParameters(replicas, random.Next(40, 100), random.Next(3) == 0 ? 0 : random.NextDouble() * 0.2,
            random.NextDouble() * 0.1, ScheduleKind.Clusters, clusters);
    }

    public override string ToString() =>
        $"{Replicas} replicas, {Steps} steps, loss {LossRate:0.###}, duplication {DuplicationRate:0.###}; {string.Join("; ", Clusters)}";
}
