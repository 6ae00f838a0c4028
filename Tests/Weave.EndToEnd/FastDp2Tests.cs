using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// The kernel fast path on two hosts: pods' frames cross by the kernels' VXLAN devices, which the
/// routers program and never see; a router killed and restarted under a 100-per-second ping loses
/// none of it; a router with <c>--no-fastdp</c> and one without talk by sleeve; <c>weave reset</c>
/// removes the device and its filter.
/// </summary>
public sealed class FastDp2Tests(ITestOutputHelper output)
{
    private const string Device = "vxlan-6784";

    [RootFact]
    public void BothFastDp_PodsCrossByTheKernels_AsVxlanFromPort6784_AndTheRoutersSeeNoneOfIt()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        foreach ((LabHost host, LabHost other) in new[] { (overlay.Host1, overlay.Host2), (overlay.Host2, overlay.Host1) })
        {
            Assert.True(Eventually.True(() => IsFastDp(host, other), TwoHostOverlay.Within),
                $"{host.Name} does not show {other.Name} on the fast path:\n{host.RunWeave("status", "connections")}\n{overlay.Diagnostics()}");
        }
        // The pods' MACs are pinned to the VXLAN port once their first frames (ARP) went by the routers.
        string podMac = overlay.Pod2.Exec("cat", "/sys/class/net/eth0/address").EnsureSuccess().Stdout.Trim();
        Assert.True(Eventually.True(() => Fdb(overlay.Host1).Contains($"{podMac} dev {Device} ", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            $"host1 has no entry for pod2's {podMac}:\n{Fdb(overlay.Host1)}");
        Assert.Matches(new Regex($@"{Regex.Escape(podMac)} dev {Device} (sticky )?master weave static"), Fdb(overlay.Host1));
        Assert.Contains($"{podMac} dev {Device} dst {overlay.Host2.UnderlayAddress} self permanent", Fdb(overlay.Host1), StringComparison.Ordinal);

        string capturePath = Path.Combine(overlay.Lab.TempDirectory, "host1-udp-6784.pcap");
        LabProcess capture = PacketCapture.Start(overlay.Host1, "eth0", capturePath, "udp", "dst", "port", "6784");
        long fromBridge1 = Counter(overlay.Host1, "FramesFromBridge"), fromBridge2 = Counter(overlay.Host2, "FramesFromBridge");
        CommandResult ping = overlay.Pod2.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-q", "-c", "200", "-i", "0.01", overlay.Pod1.Address.ToString());
        Assert.True(ping.Succeeded && ping.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal), ping.ToString());
        byte[] captured = PacketCapture.Stop(capture, capturePath);

        // Both routers captured (almost) nothing of it: a stray ARP or neighbour probe may go their way.
        Assert.InRange(Counter(overlay.Host1, "FramesFromBridge") - fromBridge1, 0, 10);
        Assert.InRange(Counter(overlay.Host2, "FramesFromBridge") - fromBridge2, 0, 10);
        string decoded = overlay.Host1.Exec("tcpdump", "-nn", "-r", capturePath, "-T", "vxlan").EnsureSuccess().Stdout;
        output.WriteLine($"captured {captured.Length:N0} bytes; first lines:\n{string.Join('\n', decoded.Split('\n').Take(4))}");
        Assert.Matches(new Regex($@"{Regex.Escape(overlay.Host2.UnderlayAddress.ToString())}\.6784 > {Regex.Escape(overlay.Host1.UnderlayAddress.ToString())}\.6784: VXLAN, flags \[I\] \(0x08\), vni 6783\s+IP {Regex.Escape(overlay.Pod2.Address.ToString())} > {Regex.Escape(overlay.Pod1.Address.ToString())}: ICMP echo request"), decoded);
        Assert.True(Regex.Count(decoded, "ICMP echo request") >= 190, $"too few echo requests crossed as VXLAN:\n{decoded[..Math.Min(decoded.Length, 2000)]}");
    }

    [RootFact]
    public void RouterKilledAndRestarted_UnderPing_LosesNoPacket()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        Assert.True(Eventually.True(() => IsFastDp(overlay.Host1, overlay.Host2) && IsFastDp(overlay.Host2, overlay.Host1), TwoHostOverlay.Within),
            overlay.Diagnostics());
        string podMac = overlay.Pod2.Exec("cat", "/sys/class/net/eth0/address").EnsureSuccess().Stdout.Trim();
        Assert.True(Eventually.True(() => Fdb(overlay.Host1).Contains($"{podMac} dev {Device} ", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Fdb(overlay.Host1));

        // 8 s of pings every 10 ms asked; host1's router dies (SIGKILL) after 1 s and starts again 2 s later.
        LabProcess ping = overlay.Pod2.Start("ping", "-n", "-q", "-i", "0.01", "-w", "8", overlay.Pod1.Address.ToString());
        Thread.Sleep(1000);
        overlay.Router1.Kill();
        Thread.Sleep(2000);
        overlay.Router1 = overlay.StartRouter1();
        Assert.True(ping.WaitForExit(TimeSpan.FromSeconds(20)), "ping did not end");
        output.WriteLine(ping.Output);
        Match stats = Regex.Match(ping.Output, @"(\d+) packets transmitted, (\d+) received");
        Assert.True(stats.Success, ping.Output);
        Assert.True(int.Parse(stats.Groups[1].Value) >= 400, ping.Output); // ping's timer makes about 60 a second of the 100 asked
        Assert.Equal(stats.Groups[1].Value, stats.Groups[2].Value);
        Assert.True(Eventually.True(() => IsFastDp(overlay.Host1, overlay.Host2), TwoHostOverlay.Within), overlay.Diagnostics());
    }

    [RootFact]
    public void OneRouterWithoutFastDp_PairGoesBySleeve_BothWays_AndSaysWhy()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, NetLab.DefaultUnderlayMtu, "--no-fastdp");
        overlay.AssertPodsReachEachOther();
        Assert.Contains("Fast path off: --no-fastdp", overlay.Router2.Output, StringComparison.Ordinal);
        Assert.False(overlay.Host2.Exec("ip", "link", "show", Device).Succeeded, $"host2 has {Device} with --no-fastdp");
        Assert.True(overlay.Host1.Exec("ip", "link", "show", Device).Succeeded, $"host1 has no {Device}");
        Assert.True(Eventually.True(() => Overlay(overlay.Host1, overlay.Host2).Contains("sleeve", StringComparison.Ordinal), TwoHostOverlay.Within),
            overlay.Host1.RunWeave("status", "connections").ToString());
        Assert.Contains("not fastdp: it runs without the fast path", Overlay(overlay.Host1, overlay.Host2), StringComparison.Ordinal);
        Assert.Contains("sleeve", Overlay(overlay.Host2, overlay.Host1), StringComparison.Ordinal);
        Assert.DoesNotContain("not fastdp", Overlay(overlay.Host2, overlay.Host1), StringComparison.Ordinal); // host2 runs none: nothing to explain
        Assert.DoesNotContain(" dev " + Device + " dst", Fdb(overlay.Host1), StringComparison.Ordinal);
    }

    [RootFact]
    public void Reset_AfterStop_RemovesTheDeviceAndItsFilter()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        Assert.Contains("weave-fastdp", overlay.Host1.Exec("nft", "list", "tables").EnsureSuccess().Stdout, StringComparison.Ordinal);

        Assert.Equal(0, overlay.Router1.Stop());
        Assert.True(overlay.Host1.Exec("ip", "link", "show", Device).Succeeded, $"{Device} should outlive the router");
        CommandResult reset = overlay.Host1.RunWeave("reset");
        Assert.True(reset.Succeeded, reset.ToString());
        Assert.Contains($"link {Device}", reset.Stdout, StringComparison.Ordinal);
        Assert.False(overlay.Host1.Exec("ip", "link", "show", Device).Succeeded, $"{Device} survived weave reset");
        Assert.DoesNotContain("weave-fastdp", overlay.Host1.Exec("nft", "list", "tables").EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    private static string Fdb(LabHost host) => host.Exec("bridge", "fdb", "show").EnsureSuccess().Stdout;

    /// <summary>The connection line for <paramref name="other"/> in <paramref name="host"/>'s <c>weave status connections</c>.</summary>
    private static string Overlay(LabHost host, LabHost other) =>
        host.RunWeave("status", "connections").Stdout.Split('\n').FirstOrDefault(l => l.Contains($"({other.Name})", StringComparison.Ordinal)) ?? "";

    private static bool IsFastDp(LabHost host, LabHost other) => Regex.IsMatch(Overlay(host, other), @"\sestablished\s+fastdp\s");

    private static long Counter(LabHost host, string name)
    {
        using JsonDocument report = JsonDocument.Parse(WeaveCli.RunOk(host, "report"));
        return report.RootElement.GetProperty("DataPlane").GetProperty("Counters").GetProperty(name).GetInt64();
    }
}
