using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// <c>--trusted-subnets</c> on real routers: three hosts with one password. host1 and host2 trust
/// each other's underlay address (a /32 each), host3 trusts host1 but host1 does not trust host3
/// (one-sided trust). The same ping (with a pattern) and the same TCP transfer (with a marker) go
/// from host1's pod to host2's and to host3's; host1's underlay capture shows them in clear as
/// VXLAN on UDP 6784 towards host2 (the kernels' fast path: status says <c>fastdp</c>) and shows
/// neither towards host3 (sealed sleeve on 6783, no VXLAN). Status says <c>unencrypted</c> for
/// host1–host2 and <c>encrypted</c> for host1–host3 on both ends; the overlay MTU stays the sealed
/// one (1500 − 80).
/// </summary>
public sealed class TrustedSubnets3Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(60);
    private const string PingPattern = "7a1e57edc0ffee42";
    private const int TransferBytes = 2 * 1024 * 1024;

    [RootFact]
    public async Task MutuallyTrustedPair_DataInClearAsVxlan_OneSidedTrust_StaysSealed()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        string address1 = host1.UnderlayAddress.ToString(), address2 = host2.UnderlayAddress.ToString(), address3 = host3.UnderlayAddress.ToString();
        string vxlan12Path = Path.Combine(lab.TempDirectory, "host1-host2-udp-6784.pcap");
        string link13Path = Path.Combine(lab.TempDirectory, "host1-host3-udp.pcap");
        string vxlan13Path = Path.Combine(lab.TempDirectory, "host1-host3-udp-6784.pcap");
        LabProcess vxlan12Dump = PacketCapture.Start(host1, "eth0", vxlan12Path, "udp", "port", "6784", "and", "host", address2);
        LabProcess link13Dump = PacketCapture.Start(host1, "eth0", link13Path, "udp", "and", "host", address3);
        LabProcess vxlan13Dump = PacketCapture.Start(host1, "eth0", vxlan13Path, "udp", "port", "6784", "and", "host", address3);

        (LabProcess[] routers, Func<string> diagnostics) = StartRouters(lab, $"{address2}/32", $"{address1}/32", $"{address1}/32");
        LabPod pod1 = host1.AddPod("pod1", "10.32.0.1/12");
        LabPod pod2 = host2.AddPod("pod2", "10.32.0.2/12");
        LabPod pod3 = host3.AddPod("pod3", "10.32.0.3/12");

        Assert.True(Eventually.True(() => Encryption(host1, host2) == "unencrypted" && Encryption(host2, host1) == "unencrypted" &&
                Encryption(host1, host3) == "encrypted" && Encryption(host3, host1) == "encrypted", s_within),
            $"expected host1–host2 established unencrypted and host1–host3 established encrypted on both ends:\n{diagnostics()}");
        Assert.True(pod1.WaitForPing(pod2.Address, s_within), $"pod1 got no reply from pod2:\n{pod1.Ping(pod2.Address)}\n{diagnostics()}");
        Assert.True(pod1.WaitForPing(pod3.Address, s_within), $"pod1 got no reply from pod3:\n{pod1.Ping(pod3.Address)}\n{diagnostics()}");

        byte[] marker = Encoding.ASCII.GetBytes("~weave-trusted-data-marker~");
        byte[] data = PodTransfer.MarkedData(TransferBytes, marker);
        foreach ((LabPod peerPod, int port) in new[] { (pod2, 5202), (pod3, 5203) })
        {
            // Full-size packets that may not be fragmented: the sealed overlay MTU fits either way.
            CommandResult ping = pod1.Exec("ping", "-n", "-c", "3", "-i", "0.2", "-M", "do", "-s", "1392", "-p", PingPattern, peerPod.Address.ToString());
            Assert.True(ping.Succeeded, $"{ping}\n{diagnostics()}");
            (long received, string hash) = await PodTransfer.TcpAsync(peerPod, pod1, data, port, TimeSpan.FromSeconds(120));
            Assert.Equal(TransferBytes, received);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
        }

        // The kernels carry the trusted pair's pods (fast path); the routers' own frames go by sleeve.
        string connections = WeaveCli.RunOk(host1, "status", "connections");
        Assert.Matches(new Regex($@"{Regex.Escape(address2)}:\d+\s+established\s+unencrypted\s+fastdp\s"), connections);
        Assert.Matches(new Regex($@"{Regex.Escape(address3)}:\d+\s+established\s+encrypted\s+sleeve\s"), connections);
        Assert.Equal(("sleeve", host2), Route(host1, host2, lab));
        Assert.Equal(("sleeve", host3), Route(host1, host3, lab));
        Assert.Equal(1420, host1.BridgeMtu()); // the sealed overlay MTU: a route may cross an untrusted hop later
        Assert.Contains($" TrustedSubnets: {address2}/32", WeaveCli.RunOk(host1, "status"), StringComparison.Ordinal);
        Assert.Contains(routers[0].Output.Split('\n'), line => line.Contains("goes unencrypted", StringComparison.Ordinal) && line.Contains($"({host2.Name})", StringComparison.Ordinal));
        Assert.DoesNotContain(routers[0].Output.Split('\n'), line => line.Contains("goes unencrypted", StringComparison.Ordinal) && line.Contains($"({host3.Name})", StringComparison.Ordinal));

        byte[] vxlan12 = PacketCapture.Stop(vxlan12Dump, vxlan12Path);
        byte[] link13 = PacketCapture.Stop(link13Dump, link13Path);
        byte[] vxlan13 = PacketCapture.Stop(vxlan13Dump, vxlan13Path);
        output.WriteLine($"captured on host1's underlay: {vxlan12.Length:N0} bytes of VXLAN with host2, {link13.Length:N0} of UDP with host3 ({vxlan13.Length:N0} VXLAN)");
        byte[] pattern = Convert.FromHexString(PingPattern);
        Assert.True(vxlan12.Length > TransferBytes, "the transfer with host2 did not cross the underlay as VXLAN");
        Assert.True(vxlan12.AsSpan().IndexOf(pattern) >= 0, "the ping pattern should be in clear in the VXLAN between trusted peers");
        Assert.True(vxlan12.AsSpan().IndexOf(marker) >= 0, "the TCP marker should be in clear in the VXLAN between trusted peers");
        Assert.True(link13.Length > TransferBytes, "the transfer with host3 did not cross the underlay");
        Assert.True(vxlan13.Length <= PacketCapture.HeaderBytes, $"{vxlan13.Length - PacketCapture.HeaderBytes} bytes of VXLAN between host1 and host3");
        Assert.True(link13.AsSpan().IndexOf(pattern) < 0, "the ping pattern is visible between host1 and host3 (one-sided trust)");
        Assert.True(link13.AsSpan().IndexOf(marker) < 0, "the TCP marker is visible between host1 and host3 (one-sided trust)");
    }

    /// <summary>
    /// Trust is per hop: host1 and host2 trust each other, host3 trusts nobody. With UDP between
    /// host1 and host2 blocked, their traffic relays through host3, and both hops (host1–host3,
    /// host3–host2) are sealed: host3's underlay capture carries the whole transfer but neither the
    /// ping pattern nor the TCP marker, and no VXLAN at all. (With host3 trusted both ways as well,
    /// the marker does show at the relay: the check can fail.)
    /// </summary>
    [RootFact]
    public async Task TrustedPair_RelayedThroughAnUntrustedHost_IsSealedOnBothHops()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        string address1 = host1.UnderlayAddress.ToString(), address2 = host2.UnderlayAddress.ToString();
        Func<string> diagnostics = StartRouters(lab, $"{address2}/32", $"{address1}/32", null).Diagnostics;
        LabPod pod1 = host1.AddPod("pod1", "10.32.0.1/12");
        LabPod pod2 = host2.AddPod("pod2", "10.32.0.2/12");
        Assert.True(Eventually.True(() => Encryption(host1, host2) == "unencrypted" && Encryption(host2, host1) == "unencrypted" &&
                Encryption(host1, host3) == "encrypted" && Encryption(host2, host3) == "encrypted", s_within),
            $"expected host1–host2 established unencrypted and both to host3 established encrypted:\n{diagnostics()}");
        Assert.True(pod1.WaitForPing(pod2.Address, s_within), $"pod1 got no reply from pod2:\n{pod1.Ping(pod2.Address)}\n{diagnostics()}");

        // UDP between host1 and host2 dropped in host1's namespace (TCP, the control connection, stays).
        UnderlayFilter.BlockUdp(host1, host2);
        Assert.True(Eventually.True(() => Route(host1, host2, lab) == ("sleeve", host3) && Route(host2, host1, lab) == ("sleeve", host3), s_within),
            $"host1 and host2 do not relay through host3: {Route(host1, host2, lab)} / {Route(host2, host1, lab)}\n{diagnostics()}");

        string relayPath = Path.Combine(lab.TempDirectory, "host3-udp.pcap");
        string relayVxlanPath = Path.Combine(lab.TempDirectory, "host3-udp-6784.pcap");
        LabProcess relayDump = PacketCapture.Start(host3, "eth0", relayPath, "udp");
        LabProcess relayVxlanDump = PacketCapture.Start(host3, "eth0", relayVxlanPath, "udp", "port", "6784");
        CommandResult ping = pod1.Exec("ping", "-n", "-c", "3", "-i", "0.2", "-M", "do", "-s", "1392", "-p", PingPattern, pod2.Address.ToString());
        Assert.True(ping.Succeeded, $"{ping}\n{diagnostics()}");
        byte[] marker = Encoding.ASCII.GetBytes("~weave-relayed-trusted-marker~");
        byte[] data = PodTransfer.MarkedData(TransferBytes, marker);
        (long received, string hash) = await PodTransfer.TcpAsync(pod2, pod1, data, 5204, TimeSpan.FromSeconds(120));
        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
        Assert.Equal(("sleeve", host3), Route(host1, host2, lab)); // still relayed: the capture saw it all

        byte[] relayed = PacketCapture.Stop(relayDump, relayPath);
        byte[] relayedVxlan = PacketCapture.Stop(relayVxlanDump, relayVxlanPath);
        output.WriteLine($"captured on host3's underlay: {relayed.Length:N0} bytes of UDP ({relayedVxlan.Length:N0} VXLAN)");
        // More than one hop's worth, not two: tcpdump may drop some of a fast transfer.
        Assert.True(relayed.Length > TransferBytes, "the transfer did not cross host3's underlay");
        Assert.True(relayedVxlan.Length <= PacketCapture.HeaderBytes, $"{relayedVxlan.Length - PacketCapture.HeaderBytes} bytes of VXLAN at the untrusted relay");
        Assert.True(relayed.AsSpan().IndexOf(Convert.FromHexString(PingPattern)) < 0, "the ping pattern is visible at the untrusted relay");
        Assert.True(relayed.AsSpan().IndexOf(marker) < 0, "the TCP marker is visible at the untrusted relay");
    }

    /// <summary>
    /// Starts the three hosts' routers with one password, host1 listening and the others targeting
    /// it, each with its <c>--trusted-subnets</c> (null: none), and waits for their bridges.
    /// Returns the routers and what to print when an assertion fails: each host's connections and
    /// router output.
    /// </summary>
    private static (LabProcess[] Routers, Func<string> Diagnostics) StartRouters(NetLab lab, string? trusted1, string? trusted2, string? trusted3)
    {
        string address1 = lab.Hosts[0].UnderlayAddress.ToString();
        string?[] trusted = [trusted1, trusted2, trusted3];
        LabProcess[] routers = [.. lab.Hosts.Select((host, i) => host.StartRouter(
            [.. RouterFlags(trusted[i]), .. i == 0 ? ["--host", address1] : new[] { address1 }]))];
        string Diagnostics() => string.Join("\n", lab.Hosts.Select((host, i) =>
            $"{host.Name}:\n{host.RunWeave("status", "connections")}\n{routers[i].Output}"));
        foreach (LabHost host in lab.Hosts)
        {
            Assert.True(Eventually.True(() => host.Links().Contains(LabHost.Bridge), s_within), $"no bridge on {host.Name}:\n{Diagnostics()}");
        }
        return (routers, Diagnostics);
    }

    private static string[] RouterFlags(string? trusted) =>
        trusted is null ? ["--password", "site-secret"] : ["--password", "site-secret", "--trusted-subnets", trusted];

    /// <summary><c>encrypted</c> or <c>unencrypted</c> from <paramref name="host"/>'s established connection to <paramref name="other"/>, else null.</summary>
    private static string? Encryption(LabHost host, LabHost other)
    {
        CommandResult connections = host.RunWeave("status", "connections");
        MeshStatusText.Row? row = connections.Succeeded
            ? MeshStatusText.Connections(connections.Stdout).FirstOrDefault(r => r.Established && r.Info.Contains($"{other.PeerName}({other.Name})", StringComparison.Ordinal))
            : null;
        return row?.Info.Split(' ')[0];
    }

    /// <summary>How <paramref name="from"/>'s data plane sends to <paramref name="to"/>: the encapsulation and the next hop.</summary>
    private static (string Encapsulation, LabHost Via)? Route(LabHost from, LabHost to, NetLab lab)
    {
        using var api = new RouterApi(from);
        RouterApi.Reply reply = api.Get("/report");
        Assert.True(reply.Ok, reply.ToString());
        using JsonDocument report = JsonDocument.Parse(reply.Body);
        foreach (JsonElement route in report.RootElement.GetProperty("DataPlane").GetProperty("Routes").EnumerateArray())
        {
            if (route.GetProperty("Peer").GetString() == to.PeerName)
            {
                string via = route.GetProperty("Via").GetString() ?? "";
                return (route.GetProperty("Encapsulation").GetString() ?? "", lab.Hosts.First(h => via.StartsWith(h.PeerName, StringComparison.Ordinal)));
            }
        }
        return null;
    }
}
