using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Weave.Lab;
using Weave.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>50 pods added at once over two hosts, as a node drain and reschedule would: every ADD
/// succeeds, every pod has its own address, and every pod reaches every other one.</summary>
public sealed class CniParallel2Tests(ITestOutputHelper output)
{
    private const int PodsPerHost = 25;
    private const int Port = 7777;
    private const int SendersPerPhase = 5;

    [RootFact]
    public void FiftyParallelAdds_OnTwoHosts_GiveUniqueAddressesAndFullReachability()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        var pods = new List<(int Host, string Id, string Netns)>();
        for (int host = 0; host < 2; host++)
        {
            for (int i = 0; i < PodsPerHost; i++)
            {
                string name = $"p{host}x{i:D2}";
                pods.Add((host, "pod-" + name, cluster.Hosts[host].AddPodNamespace(name)));
            }
        }

        var results = new ConcurrentDictionary<string, CommandResult>();
        Thread[] threads = [.. pods.Select(p => new Thread(() => results[p.Id] = cluster.Run(p.Host, "ADD", p.Id, p.Netns)))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(pods, p => Assert.True(results[p.Id].Succeeded, results[p.Id].ToString()));
        IPAddress[] addresses = [.. pods.Select(p => CniCluster.AddressOf(JsonNode.Parse(results[p.Id].Stdout)!.AsObject()))];
        Assert.Equal(pods.Count, addresses.Distinct().Count());
        Assert.Equal(PodsPerHost, cluster.PodVeths(0).Count);
        Assert.Equal(PodsPerHost, cluster.PodVeths(1).Count);

        AssertEveryPodReachesEveryOther(pods.Select(p => Path.GetFileName(p.Netns)).ToArray(), addresses);
    }

    /// <summary>
    /// A UDP socket in each pod; each sends to every other until all 50 × 49 datagrams have arrived
    /// (resending what is missing, as the first ones wait on ARP). In phases of
    /// <see cref="SendersPerPhase"/> senders, with every pod's neighbour table flushed between
    /// phases: all namespaces share the kernel's one ARP table, whose hard limit (gc_thresh3,
    /// 1,024 entries) 2,450 pairs would exceed ("neighbor table overflow", ARP silently refused);
    /// on real nodes each host has its own.
    /// </summary>
    private void AssertEveryPodReachesEveryOther(string[] namespaces, IPAddress[] addresses)
    {
        int n = namespaces.Length;
        Socket[] sockets = new Socket[n];
        try
        {
            for (int i = 0; i < n; i++)
            {
                IPAddress address = addresses[i];
                sockets[i] = NetNs.Run(namespaces[i], () =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    socket.Bind(new IPEndPoint(address, Port));
                    return socket;
                });
            }
            bool[,] arrived = new bool[n, n];
            byte[] buffer = new byte[64];
            for (int first = 0; first < n; first += SendersPerPhase)
            {
                int last = Math.Min(first + SendersPerPhase, n);
                int missing = (last - first) * (n - 1);
                DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (missing > 0 && DateTime.UtcNow < deadline)
                {
                    for (int from = first; from < last; from++)
                    {
                        for (int to = 0; to < n; to++)
                        {
                            if (from != to && !arrived[from, to])
                            {
                                sockets[from].SendTo(Encoding.ASCII.GetBytes(from.ToString(CultureInfo.InvariantCulture)), new IPEndPoint(addresses[to], Port));
                            }
                        }
                    }
                    Thread.Sleep(200);
                    for (int to = 0; to < n; to++)
                    {
                        while (sockets[to].Available > 0)
                        {
                            int read = sockets[to].Receive(buffer);
                            int from = int.Parse(Encoding.ASCII.GetString(buffer, 0, read), CultureInfo.InvariantCulture);
                            if (!arrived[from, to])
                            {
                                arrived[from, to] = true;
                                missing--;
                            }
                        }
                    }
                }
                Assert.True(missing == 0, $"{missing} pod pairs could not talk: {string.Join(", ", Unreached(arrived, addresses).Take(10))}");
                foreach (string netns in namespaces)
                {
                    Ip.In(netns, "neigh", "flush", "all");
                }
            }
            output.WriteLine($"full reachability: all {n * (n - 1)} pod pairs exchanged a datagram");
        }
        finally
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    private static IEnumerable<string> Unreached(bool[,] arrived, IPAddress[] addresses)
    {
        for (int from = 0; from < addresses.Length; from++)
        {
            for (int to = 0; to < addresses.Length; to++)
            {
                if (from != to && !arrived[from, to])
                {
                    yield return $"{addresses[from]} -> {addresses[to]}";
                }
            }
        }
    }
}
