using System.Text.Json;
using System.Security.Cryptography;
using System.Text;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// The sealed data plane on real routers: two hosts with the same password, a pod each; they ping
/// (with a distinctive payload pattern) and move 5 MB by TCP intact, while a capture on host1's
/// underlay sees sealed sleeve datagrams on UDP 6783 (and nothing on the VXLAN port) with neither
/// the ping pattern nor the TCP payload's marker in clear. The same traffic captured on host1's
/// bridge shows both, so the search can fail. A third host with a wrong password never joins and
/// its pod reaches neither pod.
/// </summary>
public sealed class EncryptedData3Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(60);
    private const string PingPattern = "5ea1ed0c0ffee0d5";
    private const int TransferBytes = 5 * 1024 * 1024;

    [RootFact]
    public async Task SamePassword_PodsPingAndTransfer_UnderlayShowsNeitherInClear_WrongPasswordReachesNothing()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        string host1Address = host1.UnderlayAddress.ToString();
        string sleeveCapture = Path.Combine(lab.TempDirectory, "host1-udp-6783.pcap");
        string vxlanCapture = Path.Combine(lab.TempDirectory, "host1-udp-6784.pcap");
        LabProcess sleeveDump = PacketCapture.Start(host1, "eth0", sleeveCapture, "udp", "port", "6783");
        LabProcess vxlanDump = PacketCapture.Start(host1, "eth0", vxlanCapture, "udp", "port", "6784");

        LabProcess router1 = host1.StartRouter("--password", "data-secret", "--host", host1Address);
        LabProcess router2 = host2.StartRouter("--password", "data-secret", host1Address);
        LabProcess router3 = host3.StartRouter("--password", "wrong-secret", host1Address);
        string Diagnostics() => $"router1:\n{router1.Output}\nrouter2:\n{router2.Output}\nrouter3:\n{router3.Output}";
        foreach (LabHost host in lab.Hosts)
        {
            Assert.True(Eventually.True(() => host.Links().Contains(LabHost.Bridge), s_within), $"no bridge on {host.Name}:\n{Diagnostics()}");
        }
        LabPod pod1 = host1.AddPod("pod1", "10.32.0.1/12");
        LabPod pod2 = host2.AddPod("pod2", "10.32.0.2/12");
        LabPod pod3 = host3.AddPod("pod3", "10.32.0.3/12");
        string bridgeCapture = Path.Combine(lab.TempDirectory, "host1-bridge.pcap");
        LabProcess bridgeDump = PacketCapture.Start(host1, LabHost.Bridge, bridgeCapture, "ip");

        Assert.True(pod1.WaitForPing(pod2.Address, s_within), $"pod1 got no reply from pod2:\n{pod1.Ping(pod2.Address)}\n{Diagnostics()}");
        CommandResult ping = pod1.Exec("ping", "-n", "-c", "5", "-i", "0.2", "-s", "200", "-p", PingPattern, pod2.Address.ToString());
        Assert.True(ping.Succeeded, ping.ToString());
        byte[] marker = Encoding.ASCII.GetBytes("~weave-sealed-data-marker~");
        byte[] data = PodTransfer.MarkedData(TransferBytes, marker);
        (long received, string hash) = await PodTransfer.TcpAsync(pod2, pod1, data, 5201, TimeSpan.FromSeconds(120));
        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);

        Assert.False(pod3.Ping(pod1.Address, count: 3).Succeeded, "the wrong-password host's pod reaches pod1");
        Assert.False(pod3.Ping(pod2.Address, count: 3).Succeeded, "the wrong-password host's pod reaches pod2");
        string connections = WeaveCli.RunOk(host1, "status", "connections");
        Assert.Contains(MeshStatusText.Connections(connections), r => r.Established && r.Info.StartsWith("encrypted ", StringComparison.Ordinal) &&
            r.Info.Contains(host2.Name, StringComparison.Ordinal));
        Assert.DoesNotContain(MeshStatusText.Connections(connections), r => r.Established && r.Info.Contains(host3.Name, StringComparison.Ordinal));
        string report = WeaveCli.RunOk(host1, "report");
        Assert.Contains("\"DataCrypto\"", report, StringComparison.Ordinal);
        Assert.Contains("\"DropsPlaintextRefused\"", report, StringComparison.Ordinal);
        // The transfer's super-frames crossed as chunks (both bridges take super-frames), none
        // refused; the captures below check that they were sealed too.
        long chunked = 0;
        foreach (LabHost host in new[] { host1, host2 })
        {
            using JsonDocument parsed = JsonDocument.Parse(WeaveCli.RunOk(host, "report"));
            JsonElement counters = parsed.RootElement.GetProperty("DataPlane").GetProperty("Counters");
            chunked += counters.GetProperty("SleeveChunkedFramesToBridge").GetInt64();
            Assert.Equal(0, counters.GetProperty("SleeveDropsBadChunk").GetInt64());
        }
        Assert.True(chunked > 0, "no chunked super-frame reached a bridge");

        byte[] sleeve = PacketCapture.Stop(sleeveDump, sleeveCapture);
        byte[] vxlan = PacketCapture.Stop(vxlanDump, vxlanCapture);
        byte[] bridge = PacketCapture.Stop(bridgeDump, bridgeCapture);
        output.WriteLine($"captured {sleeve.Length:N0} bytes on UDP 6783, {vxlan.Length:N0} on UDP 6784 (underlay), {bridge.Length:N0} on the bridge");
        byte[] pattern = Convert.FromHexString(PingPattern);
        Assert.True(sleeve.Length > TransferBytes, "the transfer did not cross the underlay on UDP 6783");
        Assert.True(vxlan.Length <= PacketCapture.HeaderBytes, $"{vxlan.Length - PacketCapture.HeaderBytes} bytes of VXLAN between sealing peers");
        Assert.True(sleeve.AsSpan().IndexOf(pattern) < 0, "the ping pattern is visible on the underlay");
        Assert.True(sleeve.AsSpan().IndexOf(marker) < 0, "the TCP payload's marker is visible on the underlay");
        // The search can fail: inside the overlay the same traffic is in clear.
        Assert.True(bridge.AsSpan().IndexOf(pattern) >= 0, "the ping pattern should show on host1's bridge");
        Assert.True(bridge.AsSpan().IndexOf(marker) >= 0, "the TCP marker should show on host1's bridge");
    }
}
