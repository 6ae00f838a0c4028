using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Two clusters of two routers each, on four hosts: cluster a (hosts 1–2, 10.32.0.0/16) and
/// cluster b (hosts 3–4, 10.48.0.0/16), each seeded by its own peers, allocating. One
/// <c>weave connect</c> joins them: pods attached by the CNI plugin in each reach the other
/// cluster's by address (ping, 20 MB over TCP) with their own addresses, while both clusters
/// keep allocating; each cluster's ring stays its own. When cluster b's routers are gone, a's
/// hosts drop the route to b's range.
/// </summary>
public sealed class MultiCluster4Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);
    private static readonly IPNetwork s_rangeA = IPNetwork.Parse("10.32.0.0/16");
    private static readonly IPNetwork s_rangeB = IPNetwork.Parse("10.48.0.0/16");
    private static readonly int[] s_a = [0, 1];
    private static readonly int[] s_b = [2, 3];
    private static readonly int[] s_all = [0, 1, 2, 3];
    private const int TransferBytes = 20 * 1024 * 1024;
    private const int TransferPort = 5201;

    [RootFact]
    public async Task Connect_JoinsTwoClustersSeededApart_PodsReachAcross_AllocationGoesOnInBoth()
    {
        RootFactAttribute.Require();
        using var lab = IpamCluster.Create(4, output.WriteLine);
        foreach (LabHost host in lab.Hosts)
        {
            // Pods reach another cluster through their gateway, the host, as on a Kubernetes node.
            host.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1").EnsureSuccess();
        }
        lab.StartCluster("a", s_rangeA, s_a);
        lab.StartCluster("b", s_rangeB, s_b);
        lab.WaitFullMesh(s_a, s_within);
        lab.WaitFullMesh(s_b, s_within);

        // Each cluster allocates from its own range before the join.
        Dictionary<string, string> before = await lab.AllocateConcurrentlyAsync(
            from host in s_all from k in Enumerable.Range(0, 5) select (host, $"before-{host}-{k}"));
        AssertInOwnRange(before);
        (string podA, IPAddress addressA) = AddPod(lab, 0, "pa");
        (string podB, IPAddress addressB) = AddPod(lab, 2, "pb");
        Assert.True(s_rangeA.Contains(addressA) && s_rangeB.Contains(addressB), $"pods at {addressA} and {addressB}");

        // One `weave connect` joins the clusters, while both keep allocating.
        using var stopAllocating = new CancellationTokenSource();
        Task<Dictionary<string, string>> during = AllocateUntilAsync(lab, stopAllocating.Token);
        CommandResult connect = lab.Hosts[0].RunWeave("connect", lab.Hosts[2].UnderlayAddress.ToString());
        Assert.True(connect.Succeeded, connect.ToString());
        lab.WaitFullMesh(s_all, s_within);

        // Every host routes the other cluster's range onto the bridge, marked as the router's.
        foreach (int host in s_all)
        {
            string other = s_a.Contains(host) ? s_rangeB.ToString() : s_rangeA.ToString();
            lab.WaitFor($"{lab.Hosts[host].Name}'s route to {other}", s_within,
                () => lab.Hosts[host].Exec("ip", "route", "show", "proto", "87").Stdout.Contains($"{other} dev weave scope link", StringComparison.Ordinal));
        }
        await stopAllocating.CancelAsync();
        Dictionary<string, string> duringJoin = await during;
        AssertInOwnRange(duringJoin);
        output.WriteLine($"{duringJoin.Count} allocations during the join, none failed");
        Assert.True(duringJoin.Count >= 8, $"only {duringJoin.Count} allocations during the join");

        Assert.True(PingFrom(podA, addressB), $"pod a at {addressA} cannot ping pod b at {addressB}\n{lab.DescribeAll()}");
        Assert.True(PingFrom(podB, addressA), $"pod b at {addressB} cannot ping pod a at {addressA}");
        byte[] data = RandomNumberGenerator.GetBytes(TransferBytes);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (long received, string hash, IPAddress seenAs) = await PodTransfer.TcpAsync(podB, addressB, podA, data, TransferPort, TimeSpan.FromSeconds(120));
        output.WriteLine($"{received} bytes from {addressA} (seen as {seenAs}) to {addressB} in {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
        Assert.Equal(addressA, seenAs); // no NAT between peered clusters

        // Operations: status names both clusters, metrics count them, rmpeer across clusters is refused.
        string status = lab.Hosts[0].RunWeave("status").EnsureSuccess().Stdout;
        output.WriteLine(status + lab.Hosts[0].RunWeave("status", "peers").Stdout);
        Assert.Contains("        Cluster: a (10.32.0.0/16), 2 peers\n", status, StringComparison.Ordinal);
        Assert.Contains("  OtherClusters: b (10.48.0.0/16), 2 peers\n", status, StringComparison.Ordinal);
        Assert.Contains("          Peers: 4 ", status, StringComparison.Ordinal);
        using var metricsApi = new RouterApi(lab.Hosts[0], port: RouterApi.MetricsPort);
        string metrics = metricsApi.Get("/metrics").Body;
        Assert.Contains("weave_cluster_peers{cluster=\"a\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("weave_cluster_peers{cluster=\"b\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("weave_cluster_routed{cluster=\"b\"} 1\n", metrics, StringComparison.Ordinal);
        CommandResult rmpeer = lab.Hosts[0].RunWeave("rmpeer", lab.Hosts[3].PeerName);
        Assert.False(rmpeer.Succeeded, rmpeer.ToString());
        Assert.Contains($"is in cluster b, not ours (a)", rmpeer.Stderr, StringComparison.Ordinal);

        // Each cluster's ring holds its own peers only, and both still allocate.
        foreach (int host in s_all)
        {
            int[] own = s_a.Contains(host) ? s_a : s_b;
            (List<IpamCluster.Share>? shares, string text) = lab.StatusIpam(host);
            Assert.True(shares is not null && shares.Select(s => s.Owner).Order(StringComparer.Ordinal)
                .SequenceEqual(own.Select(lab.Owner).Order(StringComparer.Ordinal)), $"{lab.Hosts[host].Name}'s ring:\n{text}");
        }
        AssertInOwnRange(await lab.AllocateConcurrentlyAsync(from host in s_all select (host, $"after-{host}")));

        // Cluster b gone: a's hosts drop its route, and a keeps allocating alone.
        lab.Kill(2);
        lab.Kill(3);
        foreach (int host in s_a)
        {
            lab.WaitFor($"{lab.Hosts[host].Name} dropping the route to {s_rangeB}", s_within,
                () => lab.Hosts[host].Exec("ip", "route", "show", "proto", "87").Stdout.Trim().Length == 0);
        }
        Assert.Contains("  OtherClusters: b (10.48.0.0/16), 2 peers (0 reachable)\n", lab.Hosts[0].RunWeave("status").EnsureSuccess().Stdout, StringComparison.Ordinal);
        AssertInOwnRange(await lab.AllocateConcurrentlyAsync(from host in s_a select (host, $"alone-{host}")));
    }

    /// <summary>Rounds of one allocation on every host at once until <paramref name="stop"/>; each must succeed.</summary>
    private static async Task<Dictionary<string, string>> AllocateUntilAsync(IpamCluster lab, CancellationToken stop)
    {
        var made = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int round = 0; !stop.IsCancellationRequested || round < 2; round++)
        {
            foreach ((string id, string answer) in await lab.AllocateConcurrentlyAsync(from host in s_all select (host, $"during-{host}-{round}")))
            {
                made.Add(id, answer);
            }
        }
        return made;
    }

    /// <summary>A pod namespace attached by the CNI plugin on host <paramref name="host"/>; its name and address.</summary>
    private static (string Namespace, IPAddress Address) AddPod(IpamCluster lab, int host, string name)
    {
        string netns = lab.Hosts[host].AddPodNamespace(name);
        CommandResult add = lab.Hosts[host].RunCniPlugin(CniCluster.Environment("ADD", "pod-" + name, netns), CniCluster.Config());
        Assert.True(add.Succeeded, add.ToString());
        return (Path.GetFileName(netns), CniCluster.AddressOf(JsonNode.Parse(add.Stdout)!.AsObject()));
    }

    /// <summary>Every answer (ID <c>x-HOST-...</c>) lies in its host's cluster's range.</summary>
    private static void AssertInOwnRange(Dictionary<string, string> answers)
    {
        foreach ((string id, string answer) in answers)
        {
            int host = int.Parse(id.Split('-')[1], CultureInfo.InvariantCulture);
            IPNetwork range = s_a.Contains(host) ? s_rangeA : s_rangeB;
            var address = IPAddress.Parse(answer.Split('/')[0]);
            Assert.True(range.Contains(address) && answer.EndsWith("/16", StringComparison.Ordinal), $"{id} got {answer}, outside {range}");
        }
        Assert.Equal(answers.Count, answers.Values.Distinct().Count());
    }

    private static bool PingFrom(string netns, IPAddress target) =>
        Eventually.True(() => Command.Run(TimeSpan.FromSeconds(10), "ip", "netns", "exec", netns,
            "ping", "-n", "-c", "1", "-W", "1", target.ToString()).Succeeded, s_within, TimeSpan.FromMilliseconds(200));
}
