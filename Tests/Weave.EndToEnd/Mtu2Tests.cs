using System.Security.Cryptography;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Two hosts: the overlay MTU derived from the underlay's (1500 → 1444, 9000 → 8944), pods at the
/// bridge's MTU, and pods with a larger MTU than the overlay's taught the overlay MTU by the
/// router's ICMP "fragmentation needed" (path MTU discovery through the overlay).
/// </summary>
public sealed class Mtu2Tests(ITestOutputHelper output)
{
    private const int TransferBytes = 5 * 1024 * 1024;
    private const int TransferPort = 5202;
    private const string TapName = "vethwe-tap";
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(120);

    [RootFact]
    public void Underlay1500_BridgeAndPodsGet1444_APingOfExactlyThatCrosses_OneByteMoreDoesNot()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();

        foreach (LabHost host in new[] { overlay.Host1, overlay.Host2 })
        {
            Assert.Equal(1444, host.BridgeMtu());
            Assert.Equal(65455, Ip.Mtu(host.Namespace, TapName)); // the router sees too-big frames to answer them
        }
        Assert.Equal(1444, Ip.Mtu(overlay.Pod2.Namespace, "eth0"));
        Assert.Contains("Overlay MTU 1444: eth0 (holding --host 192.168.231.11) has MTU 1500, less 56 bytes of encapsulation", overlay.Router1.Output, StringComparison.Ordinal);
        Assert.Contains("Overlay MTU 1444: eth0 (the route to 192.168.231.11) has MTU 1500, less 56 bytes of encapsulation", overlay.Router2.Output, StringComparison.Ordinal);

        // 1416 bytes of ICMP data + 8 + 20 = 1444: the largest packet the overlay carries whole.
        CommandResult fits = PingDf(overlay.Pod2, overlay.Pod1, dataBytes: 1416);
        Assert.True(fits.Succeeded, fits.ToString());
        CommandResult tooBig = PingDf(overlay.Pod2, overlay.Pod1, dataBytes: 1417);
        Assert.False(tooBig.Succeeded, tooBig.ToString());
        Assert.Contains("message too long, mtu=1444", tooBig.Stdout + tooBig.Stderr, StringComparison.Ordinal);

        CommandResult connections = overlay.Host2.RunWeave("status", "connections");
        Assert.True(connections.Succeeded, connections.ToString());
        Assert.Contains("established", connections.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(" mtu=1444", connections.Stdout.TrimEnd(), StringComparison.Ordinal);
    }

    [RootFact]
    public void JumboPods_OnA1500Underlay_GetFragNeededFromTheRouter_WhileUnfragmentablePacketsStillCross()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, NetLab.DefaultUnderlayMtu, "--no-fastdp"); // the routers carry everything
        (LabPod jumbo1, LabPod jumbo2) = AddJumboPods(overlay);

        // Without DF, a 3028-byte packet goes over the overlay whole: the outer UDP datagram is
        // fragmented by host2's kernel and reassembled by host1's (the data socket never sets DF).
        CommandResult fragmented = jumbo2.Exec(TimeSpan.FromSeconds(15), "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "-M", "dont", "-s", "3000", jumbo1.Address.ToString());
        Assert.True(fragmented.Succeeded, $"{fragmented}\n{overlay.Diagnostics()}");
        Assert.Contains("3008 bytes from", fragmented.Stdout, StringComparison.Ordinal);

        // With DF, the router answers as if from jumbo1; the pod's kernel keeps the MTU for the route.
        CommandResult df = PingDf(jumbo2, jumbo1, dataBytes: 2000);
        Assert.False(df.Succeeded, df.ToString());
        Assert.Contains($"From {jumbo1.Address} icmp_seq=1 Frag needed and DF set (mtu = 1444)", df.Stdout, StringComparison.Ordinal);
        string route = jumbo2.Exec("ip", "route", "get", jumbo1.Address.ToString()).Stdout;
        Assert.Contains("mtu 1444", route, StringComparison.Ordinal);
        CommandResult again = PingDf(jumbo2, jumbo1, dataBytes: 2000);
        Assert.Contains("message too long, mtu=1444", again.Stdout + again.Stderr, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task JumboPods_OnA1500Underlay_TcpTransferCompletes_ThroughPathMtuDiscovery()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, NetLab.DefaultUnderlayMtu, "--no-fastdp"); // the routers carry everything
        (LabPod jumbo1, LabPod jumbo2) = AddJumboPods(overlay);
        Assert.DoesNotContain("mtu 1444", jumbo2.Exec("ip", "route", "get", jumbo1.Address.ToString()).Stdout, StringComparison.Ordinal);
        byte[] data = RandomNumberGenerator.GetBytes(TransferBytes);

        // Both ends announce an MSS for 9000, so the sender's first segments are too big for the overlay.
        (long received, string hash) = await PodTransfer.TcpAsync(jumbo1, jumbo2, data, TransferPort, s_transferTimeout);

        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
        Assert.Contains("mtu 1444", jumbo2.Exec("ip", "route", "get", jumbo1.Address.ToString()).Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// On the fast path the kernels carry the jumbo pods' frames once their MACs are pinned: the
    /// VXLAN device answers a too-big packet with DF for the underlay's path MTU (1500 − 50, its
    /// own overhead), so the transfer completes through path MTU discovery there too.
    /// </summary>
    [RootFact]
    public async Task JumboPods_OnTheKernelPath_TcpTransferCompletes_ThroughTheKernelsFragNeeded()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        (LabPod jumbo1, LabPod jumbo2) = AddJumboPods(overlay);
        string mac1 = jumbo1.Exec("cat", "/sys/class/net/eth0/address").EnsureSuccess().Stdout.Trim();
        Assert.True(Eventually.True(() => overlay.Host2.Exec("bridge", "fdb", "show").Stdout.Contains($"{mac1} dev vxlan-6784 ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10)), $"host2 did not pin jumbo1's {mac1}:\n{overlay.Host2.Exec("bridge", "fdb", "show")}");

        CommandResult df = PingDf(jumbo2, jumbo1, dataBytes: 2000);
        Assert.Contains("Frag needed and DF set (mtu = 1450)", df.Stdout, StringComparison.Ordinal);
        byte[] data = RandomNumberGenerator.GetBytes(TransferBytes);
        (long received, string hash) = await PodTransfer.TcpAsync(jumbo1, jumbo2, data, TransferPort, s_transferTimeout);

        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
    }

    [RootFact]
    public async Task Underlay9000_BridgeGets8944_AndATcpTransferArrivesIntact()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, underlayMtu: 9000);
        overlay.AssertPodsReachEachOther();
        Assert.Equal(8944, overlay.Host1.BridgeMtu());
        Assert.Equal(8944, overlay.Host2.BridgeMtu());
        Assert.Equal(8944, Ip.Mtu(overlay.Pod1.Namespace, "eth0"));
        CommandResult fits = PingDf(overlay.Pod2, overlay.Pod1, dataBytes: 8944 - 28);
        Assert.True(fits.Succeeded, fits.ToString());
        byte[] data = RandomNumberGenerator.GetBytes(TransferBytes);

        (long received, string hash) = await PodTransfer.TcpAsync(overlay.Pod1, overlay.Pod2, data, TransferPort, s_transferTimeout);

        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
    }

    /// <summary>A pod on each host whose veth (both ends) has MTU 9000, above the overlay's 1444.</summary>
    private static (LabPod Jumbo1, LabPod Jumbo2) AddJumboPods(TwoHostOverlay overlay)
    {
        overlay.AssertPodsReachEachOther();
        LabPod jumbo1 = overlay.Host1.AddPod("jumbo1", "10.32.0.11/12", mtu: 9000);
        LabPod jumbo2 = overlay.Host2.AddPod("jumbo2", "10.32.0.12/12", mtu: 9000);
        overlay.AssertReaches(jumbo2, jumbo1.Address);
        return (jumbo1, jumbo2);
    }

    /// <summary>One ping with DF (<c>-M do</c>) and <paramref name="dataBytes"/> of ICMP data.</summary>
    private static CommandResult PingDf(LabPod from, LabPod to, int dataBytes) =>
        from.Exec(TimeSpan.FromSeconds(10), "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s",
            dataBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), to.Address.ToString());
}
