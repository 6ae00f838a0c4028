using System.Diagnostics;
using System.Globalization;
using System.Net;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Two peered clusters of two routers each, on four hosts: cluster a (hosts 1–2, 10.32.0.0/16)
/// and cluster b (hosts 3–4, 10.48.0.0/16), each seeded by its own peers and joined by one
/// <c>weave connect</c>. Then every packet between a's hosts and b's is dropped for a minute,
/// TCP and UDP alike, while both clusters keep allocating; then the drops go. The mesh of four
/// forms again, no allocation has moved or is held twice, and each cluster's ring is its own.
/// </summary>
public sealed class MultiClusterPartition4Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_partition = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Silent links close after the mesh's 35 s receive timeout, and the other cluster's routers
    /// drop out of the topology a moment later: well inside the minute apart.
    /// </summary>
    private static readonly TimeSpan s_separateWithin = TimeSpan.FromSeconds(55);

    /// <summary>The dialler's backoff grew while apart (2 s, growing by half per failure): its next try may be half a minute off.</summary>
    private static readonly TimeSpan s_healWithin = TimeSpan.FromSeconds(90);

    /// <summary>An allocation is answered by its own router from space it owns: seconds would mean it waited on something, such as the other cluster.</summary>
    private static readonly TimeSpan s_slowestRound = TimeSpan.FromSeconds(5);

    /// <summary>A round slower than this is logged, to be matched with the routers' logs.</summary>
    private static readonly TimeSpan s_slowRoundToLog = TimeSpan.FromSeconds(1);

    /// <summary>Between rounds, so the loops leave the shared cores to the routers' own work.</summary>
    private static readonly TimeSpan s_roundPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Allocations each cluster must make while apart: one round every 3 s would reach it.</summary>
    private const int MinimumApartPerCluster = 40;

    private const int MinimumPoolThreads = 16;

    private static readonly IPNetwork s_rangeA = IPNetwork.Parse("10.32.0.0/16");
    private static readonly IPNetwork s_rangeB = IPNetwork.Parse("10.48.0.0/16");
    private static readonly int[] s_a = [0, 1];
    private static readonly int[] s_b = [2, 3];
    private static readonly int[] s_all = [0, 1, 2, 3];

    [RootFact]
    public async Task PartitionForAMinute_BothClustersKeepAllocating_HealingMovesNoAddress()
    {
        RootFactAttribute.Require();
        // The lab's helpers block pool threads (synchronous HTTP, namespace switches on joined
        // threads); with only the default few, the allocation loops' requests waited seconds for
        // a thread, and their slowest round measured the test process, not the routers.
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, MinimumPoolThreads), completionPorts);
        IpamCluster lab = IpamCluster.Create(4, output.WriteLine);
        try
        {
            await PartitionAndHealAsync(lab);
        }
        finally
        {
            lab.Dispose();
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
        Assert.Empty(lab.LeftoverNamespaces());
    }

    private async Task PartitionAndHealAsync(IpamCluster lab)
    {
        lab.StartCluster("a", s_rangeA, s_a);
        lab.StartCluster("b", s_rangeB, s_b);
        lab.WaitFullMesh(s_a, s_within);
        lab.WaitFullMesh(s_b, s_within);
        Dictionary<string, string> earlier = await lab.AllocateConcurrentlyAsync(
            from host in s_all from k in Enumerable.Range(0, 5) select (host, $"before-{host}-{k}"));
        CommandResult connect = lab.Hosts[0].RunWeave("connect", lab.Hosts[2].UnderlayAddress.ToString());
        Assert.True(connect.Succeeded, connect.ToString());
        lab.WaitFullMesh(s_all, s_within);
        WaitRoutes(lab, peered: true, s_within);
        foreach ((string id, string answer) in await lab.AllocateConcurrentlyAsync(
            from host in s_all from k in Enumerable.Range(0, 5) select (host, $"joined-{host}-{k}")))
        {
            earlier.Add(id, answer);
        }
        AssertInOwnRange(earlier);
        // What the routers hold is what they answered, each ID on the host that allocated it.
        AssertHoldings(lab, earlier);

        // Apart: each side drops everything from and to the other's hosts, and both allocate.
        foreach (int host in s_all)
        {
            UnderlayFilter.Partition(lab.Hosts[host], OtherCluster(host).Select(h => lab.Hosts[h]));
        }
        lab.Lab.Log("partitioned: a (host1, host2) | b (host3, host4)");
        var apartClock = Stopwatch.StartNew();
        using var heal = new CancellationTokenSource(s_partition);
        Task<Allocations> apartA = AllocateUntilAsync(lab, s_a, heal.Token);
        Task<Allocations> apartB = AllocateUntilAsync(lab, s_b, heal.Token);
        // Each cluster ends up meshed with its own routers only, and the other range's routes go.
        lab.WaitFor("two meshes of two", s_separateWithin, () => lab.IsFullMesh(s_a) && lab.IsFullMesh(s_b));
        WaitRoutes(lab, peered: false, s_within);
        Assert.True(apartClock.Elapsed < s_partition, $"separation took {apartClock.Elapsed.TotalSeconds:0} s of the minute apart");
        (Allocations a, Allocations b) = (await apartA, await apartB);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"apart for {apartClock.Elapsed.TotalSeconds:0.0} s: a allocated {a.Made.Count} (slowest round {a.SlowestRound.TotalMilliseconds:0} ms), b {b.Made.Count} (slowest {b.SlowestRound.TotalMilliseconds:0} ms)"));
        output.WriteLine(UnderlayFilter.ListPartition(lab.Hosts[0]));
        foreach (int host in s_all)
        {
            UnderlayFilter.Heal(lab.Hosts[host]);
        }
        lab.Lab.Log("healed");
        Dictionary<string, string> apart = a.Made.Concat(b.Made).ToDictionary(StringComparer.Ordinal);
        AssertInOwnRange(apart);
        Assert.True(a.Made.Count >= MinimumApartPerCluster && b.Made.Count >= MinimumApartPerCluster,
            $"apart for a minute, a allocated {a.Made.Count} and b {b.Made.Count}; expected at least {MinimumApartPerCluster} each");
        Assert.True(a.SlowestRound < s_slowestRound && b.SlowestRound < s_slowestRound,
            $"an allocation round took {a.SlowestRound.TotalSeconds:0.0} s in a, {b.SlowestRound.TotalSeconds:0.0} s in b while apart");

        // Healed: one mesh of four again, the routes back, nothing moved, nothing held twice.
        lab.WaitFullMesh(s_all, s_healWithin);
        WaitRoutes(lab, peered: true, s_within);
        Dictionary<string, string> all = earlier.Concat(apart).ToDictionary(StringComparer.Ordinal);
        AssertHoldings(lab, all);
        foreach (int host in s_all)
        {
            int[] own = s_a.Contains(host) ? s_a : s_b;
            (List<IpamCluster.Share>? shares, string text) = lab.StatusIpam(host);
            Assert.True(shares is not null && shares.Select(s => s.Owner).Order(StringComparer.Ordinal)
                .SequenceEqual(own.Select(lab.Owner).Order(StringComparer.Ordinal)), $"{lab.Hosts[host].Name}'s ring:\n{text}");
        }
        lab.WaitRingsIdentical(s_a, s_within);
        lab.WaitRingsIdentical(s_b, s_within);
        Assert.NotEqual(lab.Ring(0), lab.Ring(2));
        Dictionary<string, string> after = await lab.AllocateConcurrentlyAsync(
            from host in s_all from k in Enumerable.Range(0, 3) select (host, $"healed-{host}-{k}"));
        AssertInOwnRange(after);
        AssertHoldings(lab, all.Concat(after).ToDictionary(StringComparer.Ordinal));
    }

    /// <summary>What one cluster's allocation loop made (ID → answer), and its slowest round.</summary>
    private sealed record Allocations(Dictionary<string, string> Made, TimeSpan SlowestRound);

    /// <summary>Rounds of one allocation on each of <paramref name="members"/> at once, until <paramref name="stop"/>; each must succeed.</summary>
    private static Task<Allocations> AllocateUntilAsync(IpamCluster lab, int[] members, CancellationToken stop) => Task.Run(async () =>
    {
        var made = new Dictionary<string, string>(StringComparer.Ordinal);
        TimeSpan slowest = TimeSpan.Zero;
        for (int round = 0; !stop.IsCancellationRequested; round++)
        {
            var clock = Stopwatch.StartNew();
            foreach ((string id, string answer) in await lab.AllocateConcurrentlyAsync(from host in members select (host, $"apart-{host}-{round}")))
            {
                made.Add(id, answer);
            }
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            if (clock.Elapsed > s_slowRoundToLog)
            {
                lab.Lab.Log(string.Create(CultureInfo.InvariantCulture, $"allocation round {round} on {string.Join(", ", members.Select(m => lab.Hosts[m].Name))} took {clock.Elapsed.TotalSeconds:0.0} s (started {DateTime.UtcNow - clock.Elapsed:HH:mm:ss.fff})"));
            }
            await Task.Delay(s_roundPause, CancellationToken.None);
        }
        return new Allocations(made, slowest);
    }, CancellationToken.None);

    /// <summary>
    /// Every host's <c>GET /ip</c> together holds exactly <paramref name="expected"/> (ID → answer),
    /// each ID on the host named in it (<c>x-HOST-...</c>), and no address twice.
    /// </summary>
    private static void AssertHoldings(IpamCluster lab, Dictionary<string, string> expected)
    {
        var held = new List<(int Host, string Id, string Address)>();
        foreach (int host in s_all)
        {
            foreach ((string id, string[] addresses) in lab.Owned(host))
            {
                held.AddRange(addresses.Select(address => (host, id, address)));
            }
        }
        string[] twice = [.. held.GroupBy(h => h.Address).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(h => $"{lab.Hosts[h.Host].Name}/{h.Id}"))}")];
        Assert.True(twice.Length == 0, "addresses held twice:\n" + string.Join('\n', twice));
        string[] wrong = [.. expected.Where(e => !held.Contains((HostOf(e.Key), e.Key, e.Value))).Select(e =>
            $"{e.Key}: answered {e.Value}, held as {string.Join(", ", held.Where(h => h.Id == e.Key).Select(h => $"{h.Address} on {lab.Hosts[h.Host].Name}").DefaultIfEmpty("nothing"))}")];
        Assert.True(wrong.Length == 0, $"{wrong.Length} of {expected.Count} allocations changed:\n{string.Join('\n', wrong.Take(20))}");
        Assert.Equal(expected.Count, held.Count);
    }

    /// <summary>Every answer (ID <c>x-HOST-...</c>) lies in its host's cluster's range, and no two are the same.</summary>
    private static void AssertInOwnRange(Dictionary<string, string> answers)
    {
        foreach ((string id, string answer) in answers)
        {
            IPNetwork range = s_a.Contains(HostOf(id)) ? s_rangeA : s_rangeB;
            var address = IPAddress.Parse(answer.Split('/')[0]);
            Assert.True(range.Contains(address) && answer.EndsWith("/16", StringComparison.Ordinal), $"{id} got {answer}, outside {range}");
        }
        Assert.Equal(answers.Count, answers.Values.Distinct().Count());
    }

    private static int HostOf(string id) => int.Parse(id.Split('-')[1], CultureInfo.InvariantCulture);

    private static int[] OtherCluster(int host) => s_a.Contains(host) ? s_b : s_a;

    /// <summary>Waits until every host has (or has not) its route to the other cluster's range.</summary>
    private static void WaitRoutes(IpamCluster lab, bool peered, TimeSpan within)
    {
        foreach (int host in s_all)
        {
            string other = (s_a.Contains(host) ? s_rangeB : s_rangeA).ToString();
            lab.WaitFor($"{lab.Hosts[host].Name} {(peered ? "routing" : "no longer routing")} {other}", within, () =>
                lab.Hosts[host].Exec("ip", "route", "show", "proto", "87").Stdout.Contains($"{other} dev weave scope link", StringComparison.Ordinal) == peered);
        }
    }
}
