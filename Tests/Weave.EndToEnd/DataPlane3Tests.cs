using System.Globalization;
using System.Security.Cryptography;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Issue 5's end-to-end checks on three hosts: every pod reaches every pod (directly and through a
/// relay), a broadcast reaches each host exactly once, a blocked direct path relays through the
/// third host and returns to direct once unblocked, and TCP survives 1 % loss on the underlay.
/// </summary>
public sealed class DataPlane3Tests(ITestOutputHelper output)
{
    /// <summary>An address no pod has: ARP for it is broadcast and never answered.</summary>
    private const string Nobody = "10.32.99.99";

    private const int TransferPort = 5201;

    [RootFact]
    public void FullMesh_EveryPodPingsEveryPod()
    {
        RootFactAttribute.Require();
        using var overlay = ThreeHostOverlay.StartFullMesh(output.WriteLine);
        AssertAllPairsReach(overlay);
    }

    [RootFact]
    public void Chain_EveryPodPingsEveryPod_ThroughTheMiddleHost()
    {
        RootFactAttribute.Require();
        using var overlay = ThreeHostOverlay.StartChain(output.WriteLine);
        Assert.Null(overlay.ConnectionState(0, 2)); // no direct connection: host1 and host3 talk through host2
        AssertAllPairsReach(overlay);

        // host2 relayed unicast and floods (ARP) in the sleeve format; host1 sends to host3 through it.
        Assert.True(overlay.Counter(1, "SleeveRelayed") > 0, $"host2 relayed no unicast.\n{overlay.Diagnostics()}");
        Assert.True(overlay.Counter(1, "SleeveFloodsRelayed") > 0, $"host2 relayed no flood.\n{overlay.Diagnostics()}");
        Assert.Equal(0, overlay.Counter(1, "SleeveDropsBadHeader"));
        Assert.Equal(("sleeve", overlay.Hosts[1].PeerName), NameOnly(overlay.Route(0, 2)));
    }

    [RootFact]
    public void FullMesh_ArpBroadcast_ReachesEachHostOnce() => AssertArpReachesEachHostOnce(chain: false);

    [RootFact]
    public void Chain_ArpBroadcast_ReachesEachHostOnce() => AssertArpReachesEachHostOnce(chain: true);

    [RootFact]
    public void DirectUdpBlocked_TrafficRelaysThroughThirdHost_AndReturnsToDirect()
    {
        RootFactAttribute.Require();
        using var overlay = ThreeHostOverlay.StartFullMesh(output.WriteLine);
        LabHost host1 = overlay.Hosts[0], host3 = overlay.Hosts[2];
        LabPod pod1 = overlay.PodOn(0), pod3 = overlay.PodOn(2);
        overlay.AssertReaches(pod1, pod3);

        // Drop every UDP datagram between host1 and host3 in host1's namespace; TCP (the control
        // connection) stays up, so only the routers' heartbeats can tell that the path is dead.
        UnderlayFilter.BlockUdp(host1, host3);

        Assert.True(Eventually.True(() => overlay.ConnectionState(0, 2) is { } state && state != "established", ThreeHostOverlay.Within),
            $"host1 still shows its connection to host3 established with UDP between them blocked.\n{overlay.Diagnostics()}");
        Assert.Equal("established", overlay.ConnectionState(0, 1));
        long relayedBefore = overlay.Counter(1, "SleeveRelayed");
        overlay.AssertReaches(pod1, pod3);
        overlay.AssertReaches(pod3, pod1);
        Assert.Equal(("sleeve", overlay.Hosts[1].PeerName), NameOnly(overlay.Route(0, 2)));
        Assert.True(overlay.Counter(1, "SleeveRelayed") > relayedBefore, $"host2 relayed nothing while host1–host3 was blocked.\n{overlay.Diagnostics()}");

        UnderlayFilter.UnblockUdp(host1);
        Assert.True(Eventually.True(() => overlay.ConnectionState(0, 2) == "established" && overlay.ConnectionState(2, 0) == "established", ThreeHostOverlay.Within),
            $"host1 and host3 did not show their connection established again after UDP was unblocked.\n{overlay.Diagnostics()}");
        // Direct again, and on the fast path: the kernels carry the pods' frames, the routers' own go by sleeve.
        Assert.True(Eventually.True(() => NameOnly(overlay.Route(0, 2)) == ("sleeve", host3.PeerName), ThreeHostOverlay.Within),
            $"host1 still does not send to host3 directly: {overlay.Route(0, 2)}.\n{overlay.Diagnostics()}");
        Assert.True(Eventually.True(() => WeaveCli.RunOk(host1, "status", "connections").Split('\n')
                .Any(l => l.Contains($"({host3.Name})", StringComparison.Ordinal) && l.Contains(" established fastdp ", StringComparison.Ordinal)), ThreeHostOverlay.Within),
            $"host1 does not show host3 on the fast path again.\n{overlay.Diagnostics()}");
        overlay.AssertReaches(pod1, pod3);
        overlay.AssertReaches(pod3, pod1);
    }

    [RootFact]
    public async Task OnePercentUnderlayLoss_TcpTransferArrivesIntact()
    {
        RootFactAttribute.Require();
        using var overlay = ThreeHostOverlay.StartFullMesh(output.WriteLine);
        LabHost host1 = overlay.Hosts[0];
        overlay.AssertReaches(overlay.PodOn(0), overlay.PodOn(1));

        // 1 % of everything host1 sends or receives on the underlay is dropped at random.
        UnderlayFilter.RandomLoss(host1, oneIn: 100);

        byte[] data = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        (long received, string hash) = await PodTransfer.TcpAsync(overlay.PodOn(1), overlay.PodOn(0), data, TransferPort, TimeSpan.FromSeconds(180));
        Assert.Equal(data.Length, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);

        // The loss really happened: the rules dropped packets.
        string counters = UnderlayFilter.ListLoss(host1);
        output.WriteLine(counters);
        Assert.Matches(@"packets [1-9]\d* bytes", counters);
    }

    private static void AssertAllPairsReach(ThreeHostOverlay overlay)
    {
        foreach (LabPod from in overlay.Pods)
        {
            foreach (LabPod to in overlay.Pods)
            {
                if (from != to)
                {
                    overlay.AssertReaches(from, to);
                }
            }
        }
    }

    /// <summary>
    /// One ARP request from a pod on host1 for an address nobody has: every other pod (the second
    /// pod on host1 through the bridge, the pods on host2 and host3 through the overlay) sees it
    /// exactly once, never a copy sent back or delivered twice.
    /// </summary>
    private void AssertArpReachesEachHostOnce(bool chain)
    {
        RootFactAttribute.Require();
        using ThreeHostOverlay overlay = chain ? ThreeHostOverlay.StartChain(output.WriteLine) : ThreeHostOverlay.StartFullMesh(output.WriteLine);
        LabPod sender = overlay.PodOn(0);
        // Every pod's peers are known and every path works before we count.
        foreach (LabPod pod in overlay.Pods.Where(p => p != sender))
        {
            overlay.AssertReaches(sender, pod);
        }

        List<(LabPod Pod, LabProcess Capture)> captures = [];
        try
        {
            foreach (LabPod pod in overlay.Pods.Where(p => p != sender))
            {
                LabProcess capture = pod.Start("tcpdump", "-i", "eth0", "-n", "-l", "-p", "arp");
                captures.Add((pod, capture));
                Assert.True(Eventually.True(() => capture.Stderr.Contains("listening on", StringComparison.Ordinal) || capture.HasExited, TimeSpan.FromSeconds(10)) && !capture.HasExited,
                    $"tcpdump did not start in {pod.Name}: {capture.Output}");
            }

            // One broadcast request only: no retries.
            sender.Exec("sysctl", "-q", "-w", "net.ipv4.neigh.eth0.mcast_solicit=1").EnsureSuccess();
            sender.Exec("sysctl", "-q", "-w", "net.ipv4.neigh.eth0.app_solicit=0").EnsureSuccess();
            sender.Exec("ping", "-c", "1", "-W", "1", Nobody); // fails: nobody answers
            Thread.Sleep(TimeSpan.FromSeconds(2)); // a duplicate would arrive within this
        }
        finally
        {
            foreach ((_, LabProcess capture) in captures)
            {
                capture.Stop();
            }
        }

        foreach ((LabPod pod, LabProcess capture) in captures)
        {
            int seen = capture.Stdout.Split('\n').Count(line => line.Contains($"who-has {Nobody}", StringComparison.Ordinal));
            Assert.True(seen == 1,
                string.Create(CultureInfo.InvariantCulture, $"{pod.Name} on {pod.Host.Name} saw the ARP request {seen} times, not once:\n{capture.Stdout}\n{overlay.Diagnostics()}"));
        }
    }

    /// <summary>The route with its next hop's name alone (reports show <c>name(nickname)</c>).</summary>
    private static (string Encapsulation, string Via)? NameOnly((string Encapsulation, string Via)? route) =>
        route is { } r ? (r.Encapsulation, r.Via.Split('(')[0]) : null;
}
