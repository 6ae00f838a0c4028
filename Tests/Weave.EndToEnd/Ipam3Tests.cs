using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// IP allocation across real routers: three (or four) hosts launched with
/// <c>--ipalloc-init consensus=3</c>, host i targeting host i−1. Allocations are made over the
/// router's HTTP API from inside each host's namespace; owners are read from
/// <c>weave status ipam</c>; rings are compared with <c>GET /report</c> when the router serves it,
/// else by the owners and counts of <c>status ipam</c>.
/// </summary>
public sealed partial class Ipam3Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_meshWithin = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_convergeWithin = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_reconnectWithin = TimeSpan.FromSeconds(30);
    private static readonly int[] s_three = [0, 1, 2];

    [RootFact]
    public async Task Consensus3_90ParallelAllocations_AreDistinctInRange_ThreeOwnersCoverTheRange()
    {
        using var cluster = IpamCluster.Create(3, output.WriteLine);
        cluster.StartChain(3, s_meshWithin);

        // 30 per host, all 90 in flight at once: the first ones also trigger the consensus.
        Dictionary<string, string> answers = await cluster.AllocateConcurrentlyAsync(
            from host in s_three from k in Enumerable.Range(0, 30) select (host, Id(host, k)));

        IPAddress[] addresses = [.. answers.Values.Select(IpamCluster.InRange)];
        AssertDistinct(answers);
        Assert.Equal(90, addresses.Distinct().Count());

        // Each host lists exactly its own 30 IDs, with the addresses it answered.
        foreach (int host in s_three)
        {
            Dictionary<string, string[]> owned = cluster.Owned(host);
            Assert.Equal(Enumerable.Range(0, 30).Select(k => Id(host, k)).Order(StringComparer.Ordinal), owned.Keys.Order(StringComparer.Ordinal));
            Assert.All(owned, o => Assert.Equal([answers[o.Key]], o.Value));
        }

        // `weave status ipam` on every host: the three routers own the whole range between them.
        foreach (int host in s_three)
        {
            string text = "";
            cluster.WaitFor($"{cluster.Hosts[host].Name}'s `weave status ipam` listing 3 owners with 100% between them", s_convergeWithin, () =>
            {
                (List<IpamCluster.Share>? shares, text) = cluster.StatusIpam(host);
                return shares is not null && shares.Count == 3 &&
                    shares.Select(s => s.Owner).Order(StringComparer.Ordinal).SequenceEqual(s_three.Select(cluster.Owner).Order(StringComparer.Ordinal)) &&
                    shares.Sum(s => s.Count) == IpamCluster.RangeSize && Math.Abs(shares.Sum(s => s.Percent) - 100) < 0.2 &&
                    shares[0].Owner == cluster.Owner(host) && shares[0].Suffix == " (30 active)" &&
                    shares.Skip(1).All(s => s.Suffix.Length == 0);
            }, () => text);
        }
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);
    }

    [RootFact]
    public async Task Kill9AndRestart_KeepsEveryAllocation_NewAllocationIsUnused()
    {
        using var cluster = IpamCluster.Create(3, output.WriteLine);
        cluster.StartChain(3, s_meshWithin);
        Dictionary<string, string> answers = await cluster.AllocateConcurrentlyAsync(
            from host in s_three from k in Enumerable.Range(0, host == 1 ? 10 : 5) select (host, Id(host, k)));
        AssertDistinct(answers);
        string[] host2Ids = [.. Enumerable.Range(0, 10).Select(k => Id(1, k))];

        cluster.Kill(1);
        _ = cluster.Start(1);
        RouterApi api = cluster.Api(1);
        cluster.WaitFor("host2's restarted router answering GET /status", s_meshWithin, () => api.Get("/status").Ok);

        // Every allocation survived the crash, unchanged.
        foreach (string id in host2Ids)
        {
            RouterApi.Reply reply = api.Get("/ip/" + id);
            Assert.True(reply.Ok, $"{reply}\n{cluster.Describe(1)}");
            Assert.Equal(answers[id] + "\n", reply.Body);
        }
        Assert.Equal(host2Ids.Order(StringComparer.Ordinal), cluster.Owned(1).Keys.Order(StringComparer.Ordinal));

        // A new one gets an address nobody had.
        string fresh = cluster.Allocate(1, "after-restart");
        IpamCluster.InRange(fresh);
        Assert.DoesNotContain(fresh, answers.Values);
        (List<IpamCluster.Share>? shares, string text) = cluster.StatusIpam(1);
        Assert.True(shares is not null && shares.Count == 3 && shares[0].Owner == cluster.Owner(1) && shares[0].Suffix == " (11 active)",
            $"host2's `weave status ipam` after the restart should list its 11 allocations:\n{text}");

        cluster.WaitFullMesh(s_three, s_reconnectWithin);
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);
    }

    [RootFact]
    public async Task Partition_AllocateOnBothSides_AfterHealing_NoAddressTwice_RingsIdentical()
    {
        using var cluster = IpamCluster.Create(3, output.WriteLine);
        cluster.StartChain(3, s_meshWithin);
        // Seed the ring before the partition: one allocation per host.
        Dictionary<string, string> seeded = await cluster.AllocateConcurrentlyAsync(s_three.Select(h => (h, Id(h, 0))));
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);

        // Cut host3 off: its underlay link down, and the mesh's TCP connections to it closed on
        // both sides (else they would linger up to the 35 s receive timeout).
        LabHost cut = cluster.Hosts[2];
        _ = Ip.In(cut.Namespace, "link", "set", "eth0", "down");
        cluster.Lab.Log("host3: eth0 down");
        KillSockets(cluster.Hosts[2], NetLab.UnderlayPrefix + "0/24");
        KillSockets(cluster.Hosts[0], cut.UnderlayAddress.ToString());
        KillSockets(cluster.Hosts[1], cut.UnderlayAddress.ToString());
        cluster.WaitFor("host1 and host2 showing host3 unreachable in `status ipam`, and host3 alone", s_reconnectWithin, () =>
            new[] { 0, 1 }.All(h => cluster.StatusIpam(h).Shares?.Any(s => s.Owner == cluster.Owner(2) && s.Suffix == " - unreachable!") == true) &&
            MeshStatusText.Peers(cluster.Api(2).Get("/status").Body) == 1);

        // Both sides allocate while apart: 10 on host1, 5 on host2, 10 on host3.
        Dictionary<string, string> apart = await cluster.AllocateConcurrentlyAsync(
            from host in s_three from k in Enumerable.Range(1, host == 1 ? 5 : 10) select (host, Id(host, k)));

        _ = Ip.In(cut.Namespace, "link", "set", "eth0", "up");
        cluster.Lab.Log("host3: eth0 up");
        cluster.WaitFullMesh(s_three, s_reconnectWithin);
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);

        // Every address appears once across all hosts, and every allocation is still there.
        var all = new List<(string Host, string Id, string Address)>();
        foreach (int host in s_three)
        {
            foreach ((string id, string[] addrs) in cluster.Owned(host))
            {
                all.AddRange(addrs.Select(a => (cluster.Hosts[host].Name, id, a)));
            }
        }
        string[] twice = [.. all.GroupBy(a => a.Address).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => $"{x.Host}/{x.Id}"))}")];
        Assert.True(twice.Length == 0, "addresses held twice after healing:\n" + string.Join('\n', twice));
        Assert.Equal(seeded.Count + apart.Count, all.Count);
        Assert.Equal(seeded.Concat(apart).Select(a => a.Value).Order(StringComparer.Ordinal), all.Select(a => a.Address).Order(StringComparer.Ordinal));
    }

    [RootFact]
    public async Task LateFourthHost_GetsSpaceDonated_AllocatesDistinctAddresses()
    {
        using var cluster = IpamCluster.Create(4, output.WriteLine);
        cluster.StartChain(3, s_meshWithin);
        Dictionary<string, string> before = await cluster.AllocateConcurrentlyAsync(
            from host in s_three from k in Enumerable.Range(0, 3) select (host, Id(host, k)));
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);

        // host4 joins later, with the same flags and host1 as its only target: it takes the
        // existing ring (no new consensus), owns nothing, and must be given space to allocate.
        _ = cluster.Start(3, target: 0);
        int[] four = [0, 1, 2, 3];
        cluster.WaitFullMesh(four, s_meshWithin);
        Dictionary<string, string> joined = await cluster.AllocateConcurrentlyAsync(Enumerable.Range(0, 5).Select(k => (3, Id(3, k))));

        Assert.All(joined.Values, a => IpamCluster.InRange(a));
        AssertDistinct(before.Concat(joined).ToDictionary(StringComparer.Ordinal));
        (List<IpamCluster.Share>? shares, string text) = cluster.StatusIpam(3);
        Assert.True(shares is not null && shares.Count == 4 && shares[0].Owner == cluster.Owner(3) && shares[0].Count > 0 &&
            shares[0].Suffix == " (5 active)" && shares.Sum(s => s.Count) == IpamCluster.RangeSize,
            $"host4's `weave status ipam` should show it owning donated space with 5 active:\n{text}");
        cluster.WaitRingsIdentical(four, s_convergeWithin);
    }

    [RootFact]
    public async Task Rmpeer_DeadPeer_SpaceTakenOver_AllocationWorks_SecondRunHarmless()
    {
        using var cluster = IpamCluster.Create(3, output.WriteLine);
        cluster.StartChain(3, s_meshWithin);
        Dictionary<string, string> before = await cluster.AllocateConcurrentlyAsync(
            from host in s_three from k in Enumerable.Range(0, 3) select (host, Id(host, k)));
        cluster.WaitRingsIdentical(s_three, s_convergeWithin);
        long deadCount = cluster.StatusIpam(0).Shares!.Single(s => s.Owner == cluster.Owner(2)).Count;

        // host3 dies for good; the others see it unreachable.
        cluster.Kill(2);
        int[] survivors = [0, 1];
        cluster.WaitFor("host1 and host2 showing host3 unreachable in `status ipam`", s_reconnectWithin, () =>
            survivors.All(h => cluster.StatusIpam(h).Shares?.Any(s => s.Owner == cluster.Owner(2) && s.Suffix == " - unreachable!") == true));

        CommandResult rmpeer = cluster.Hosts[0].RunWeave("rmpeer", "host3");
        Assert.True(rmpeer.Succeeded, rmpeer.ToString());
        Match taken = TakenOver().Match(rmpeer.Stdout);
        Assert.True(taken.Success, $"rmpeer should say how many IPs it took over:\n{rmpeer}");
        Assert.Equal(cluster.Owner(2), taken.Groups[2].Value);
        Assert.Equal(deadCount, long.Parse(taken.Groups[1].Value, CultureInfo.InvariantCulture));

        // Neither survivor lists host3 any more; the two own the whole range.
        foreach (int host in survivors)
        {
            string text = "";
            cluster.WaitFor($"{cluster.Hosts[host].Name}'s `weave status ipam` without host3", s_convergeWithin, () =>
            {
                (List<IpamCluster.Share>? shares, text) = cluster.StatusIpam(host);
                return shares is not null && shares.Count == 2 && shares.All(s => s.Owner != cluster.Owner(2)) &&
                    shares.Sum(s => s.Count) == IpamCluster.RangeSize;
            }, () => text);
        }

        // Allocation still works on both survivors.
        Dictionary<string, string> after = await cluster.AllocateConcurrentlyAsync(
            from host in survivors from k in Enumerable.Range(3, 3) select (host, Id(host, k)));
        // ... also inside the space host3 had: POST /ip/{id}/{ip}/{plen} in the /16 of its first address.
        IPAddress deadAddress = IpamCluster.InRange(before[Id(2, 0)]);
        byte[] subnet = deadAddress.GetAddressBytes();
        RouterApi.Reply inDeadSpace = cluster.Api(0).Post($"/ip/in-dead-space/{subnet[0]}.{subnet[1]}.0.0/16");
        Assert.True(inDeadSpace.Ok, $"{inDeadSpace}\n{cluster.DescribeAll()}");
        Assert.StartsWith($"{subnet[0]}.{subnet[1]}.", inDeadSpace.Body, StringComparison.Ordinal);
        Assert.EndsWith("/16", inDeadSpace.Body, StringComparison.Ordinal);
        after.Add("in-dead-space", inDeadSpace.Body.Replace("/16", "/12", StringComparison.Ordinal));
        AssertDistinct(before.Where(b => !b.Key.StartsWith("h3-", StringComparison.Ordinal)).Concat(after).ToDictionary(StringComparer.Ordinal));

        // A second run, here and on the other survivor, finds nothing to take and changes nothing.
        string? ownersBefore = cluster.OwnerCounts(0);
        foreach (int host in survivors)
        {
            CommandResult again = cluster.Hosts[host].RunWeave("rmpeer", "host3");
            Assert.True(again.Succeeded, $"{again}\n{cluster.DescribeAll()}");
            Match none = TakenOver().Match(again.Stdout);
            Assert.True(none.Success && none.Groups[1].Value == "0", $"a second rmpeer should take over 0 IPs:\n{again}");
        }
        cluster.WaitRingsIdentical(survivors, s_convergeWithin);
        Assert.Equal(ownersBefore, cluster.OwnerCounts(0));
        foreach (int host in survivors)
        {
            RouterApi.Reply status = cluster.Api(host).Get("/status");
            Assert.Matches(ReadyLine(), status.Body);
        }
        _ = cluster.Allocate(0, "after-second-rmpeer");
    }

    private static string Id(int host, int k) => string.Create(CultureInfo.InvariantCulture, $"h{host + 1}-{k:00}");

    private static void AssertDistinct(IReadOnlyDictionary<string, string> answers)
    {
        string[] twice = [.. answers.GroupBy(a => a.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Key))}")];
        Assert.True(twice.Length == 0, "addresses handed out twice:\n" + string.Join('\n', twice));
    }

    /// <summary>Closes the TCP sockets in a host's namespace whose remote end is <paramref name="remote"/> (<c>ss -K</c>).</summary>
    private static void KillSockets(LabHost host, string remote)
    {
        CommandResult result = host.Exec("ss", "-K", "-t", "dst", remote);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("could not close sockets: " + result);
        }
    }

    [GeneratedRegex(@"^(\d+) IPs taken over from (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TakenOver();

    [GeneratedRegex(@"^\s*Status: ready$", RegexOptions.Multiline)]
    private static partial Regex ReadyLine();
}
