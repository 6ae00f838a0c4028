using System.Text;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// The encrypted control plane on real routers: two hosts with the same password form a mesh whose
/// TCP 6783 stream shows no gossip in clear (tcpdump on the underlay); a third with a wrong password
/// never joins, and both ends log "authentication failed" with the other's address.
/// </summary>
public sealed class Encryption3Tests(ITestOutputHelper output)
{
    // Generous: a first SYN lost on a fresh underlay costs a 10 s connect timeout and a backoff.
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(60);

    [RootFact]
    public void SamePassword_Establishes_CaptureShowsNoGossipInClear_WrongPasswordNeverJoins()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        string passwordFile = Path.Combine(lab.TempDirectory, "password");
        File.WriteAllText(passwordFile, "mesh-secret\n");
        string capture = Path.Combine(lab.TempDirectory, "host1-6783.pcap");
        LabProcess tcpdump = PacketCapture.Start(host1, "any", capture, "tcp", "port", "6783");

        LabProcess router1 = host1.StartRouter("--password", "mesh-secret");
        LabProcess router2 = host2.StartRouter("--password-file", passwordFile, host1.UnderlayAddress.ToString());
        LabProcess router3 = host3.StartRouter("--password", "wrong-secret", host1.UnderlayAddress.ToString());

        Assert.True(Eventually.True(() => Joined(host1, host2) && Joined(host2, host1), s_within),
            $"host1 and host2 did not form an encrypted mesh within {s_within}:\n{Describe(host1)}\n{Describe(host2)}\nrouter1:\n{router1.Output}\nrouter2:\n{router2.Output}");
        string host1Address = host1.UnderlayAddress.ToString(), host3Address = host3.UnderlayAddress.ToString();
        Assert.True(Eventually.True(() => AuthenticationFailed(router1, host3Address) && AuthenticationFailed(router3, host1Address), s_within),
            $"both ends of the wrong-password connection should log 'authentication failed' with the other's address:\nrouter1:\n{router1.Output}\nrouter3:\n{router3.Output}");

        string status = WeaveCli.RunOk(host1, "status");
        Assert.Contains("     Encryption: enabled", status, StringComparison.Ordinal);
        Assert.Equal(2, MeshStatusText.Peers(status));
        Assert.Equal(1, MeshStatusText.Peers(WeaveCli.RunOk(host3, "status")));
        Assert.DoesNotContain(MeshStatusText.Connections(WeaveCli.RunOk(host3, "status", "connections")), r => r.Established);
        Assert.DoesNotContain(MeshStatusText.Connections(WeaveCli.RunOk(host1, "status", "connections")), r => r.IsTo(host3.Name, host3Address) && r.Established);
        string report = WeaveCli.RunOk(host1, "report");
        Assert.Contains("\"ControlCrypto\"", report, StringComparison.Ordinal);
        Assert.Contains("\"AuthenticationFailures\"", report, StringComparison.Ordinal);

        // Let gossip flow both ways for a while (the peers' topology reaches each other) before looking.
        Assert.True(Eventually.True(() => MeshStatusText.Peers(WeaveCli.RunOk(host2, "status")) == 2 && new FileInfo(capture).Length > 4000, s_within),
            $"no gossip captured:\n{Describe(host2)}");
        byte[] captured = PacketCapture.Stop(tcpdump, capture);
        output.WriteLine($"captured {captured.Length} bytes of TCP 6783 on host1");
        foreach (string nickname in new[] { host1.Name, host2.Name, host3.Name })
        {
            Assert.True(captured.AsSpan().IndexOf(Encoding.ASCII.GetBytes($"({nickname}")) < 0 && captured.AsSpan().IndexOf(Encoding.ASCII.GetBytes(nickname)) < 0,
                $"the nickname {nickname} is visible on the wire");
        }

        // The same capture of routers without a password does show the nicknames: the check above can fail.
        router1.Stop();
        router2.Stop();
        router3.Stop();
        LabProcess plainCapture = PacketCapture.Start(host1, "any", capture + ".plain", "tcp", "port", "6783");
        LabProcess plain1 = host1.StartRouter();
        LabProcess plain2 = host2.StartRouter(host1.UnderlayAddress.ToString());
        Assert.True(Eventually.True(() => Joined(host1, host2, encrypted: false), s_within), $"plaintext routers did not join:\n{plain1.Output}\n{plain2.Output}");
        Assert.True(Eventually.True(() => File.ReadAllBytes(capture + ".plain").AsSpan().IndexOf(Encoding.ASCII.GetBytes(host2.Name)) >= 0, s_within),
            "a plaintext capture should show host2's nickname");
        _ = PacketCapture.Stop(plainCapture, capture + ".plain");
    }

    [RootFact]
    public void PasswordAgainstNoPassword_RefuseEachOther_WithAClearMessage()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(2, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1];
        LabProcess router1 = host1.StartRouter("--password", "mesh-secret");
        LabProcess router2 = host2.StartRouter(host1.UnderlayAddress.ToString());

        Assert.True(Eventually.True(() =>
                router1.Output.Contains("encryption mismatch: we have a password and the peer has none", StringComparison.Ordinal) &&
                router2.Output.Contains("encryption mismatch: the peer has a password and we have none", StringComparison.Ordinal), s_within),
            $"both routers should refuse with a clear message:\nrouter1:\n{router1.Output}\nrouter2:\n{router2.Output}");
        Assert.DoesNotContain(MeshStatusText.Connections(WeaveCli.RunOk(host1, "status", "connections")), r => r.Established);
        Assert.DoesNotContain(MeshStatusText.Connections(WeaveCli.RunOk(host2, "status", "connections")), r => r.Established);
        Assert.Contains("     Encryption: disabled", WeaveCli.RunOk(host2, "status"), StringComparison.Ordinal);
    }

    private static bool AuthenticationFailed(LabProcess router, string otherAddress) =>
        router.Output.Split('\n').Any(line =>
            line.Contains("authentication failed", StringComparison.Ordinal) && line.Contains(otherAddress + ":", StringComparison.Ordinal));

    /// <summary><paramref name="host"/> has an established (and, by default, encrypted) connection to <paramref name="other"/>.</summary>
    private static bool Joined(LabHost host, LabHost other, bool encrypted = true)
    {
        CommandResult connections = host.RunWeave("status", "connections");
        return connections.Succeeded && MeshStatusText.Connections(connections.Stdout).Any(r => r.Established &&
            r.Info.Contains($"{other.PeerName}({other.Name})", StringComparison.Ordinal) &&
            (!encrypted || r.Info.StartsWith("encrypted ", StringComparison.Ordinal)));
    }

    private static string Describe(LabHost host) =>
        $"{host.Name}:\n{host.RunWeave("status")}\n{host.RunWeave("status", "connections")}";
}
