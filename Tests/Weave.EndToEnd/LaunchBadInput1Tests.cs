using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// One host: `weave launch` with bad input exits non-zero with exactly one line on stderr and
/// leaves nothing behind (no bridge, no TAP); the line names what was wrong. Running without /dev/net/tun is not simulated here.
/// </summary>
public sealed class LaunchBadInput1Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_exitWithin = TimeSpan.FromSeconds(15);

    [RootFact]
    public void Launch_UnknownFlag_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];

        AssertFailsCleanly(host, host.StartRouter("--bogus"), mentioning: "--bogus");
    }

    [RootFact]
    public void Launch_UnparseablePeer_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];

        AssertFailsCleanly(host, host.StartRouter("not_a_host:99999"), mentioning: "not_a_host");
    }

    [RootFact]
    public void Launch_PortInUse_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        using Socket squatter = Squat(host, new IPEndPoint(IPAddress.Any, 6783));

        AssertFailsCleanly(host, host.StartRouter(), mentioning: "6783");
    }

    [RootFact]
    public void Launch_MetricsPortInUse_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        using Socket squatter = Squat(host, new IPEndPoint(IPAddress.Loopback, 6782));

        // The HTTP listeners start after the MTU is chosen, which logs at info (as for the API's
        // port): --host and --log-level warning leave the reason as the one line.
        AssertFailsCleanly(host, host.StartRouter("--host", host.UnderlayAddress.ToString(), "--log-level", "warning"), mentioning: "cannot serve metrics on 127.0.0.1:6782: address already in use");
    }

    [RootFact]
    public void Launch_BadMetricsAddr_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];

        AssertFailsCleanly(host, host.StartRouter("--metrics-addr", "localhost"), mentioning: "invalid --metrics-addr 'localhost'");
    }

    [RootFact]
    public void Launch_PasswordWithoutLibsodiumBesideTheBinary_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        // The binary alone, as a careless install would leave it (the lab's directory is removed with it).
        string alone = Path.Combine(lab.TempDirectory, "weave-alone");
        Directory.CreateDirectory(alone);
        string binary = Path.Combine(alone, "weave");
        File.Copy(Repo.RequireWeaveBinary(), binary);

        LabProcess router = host.Start(binary, "launch", "--name", host.PeerName, "--data-dir", host.DataDirectory,
            "--password", "secret", "--host", host.UnderlayAddress.ToString(), "--log-level", "warning");

        AssertFailsCleanly(host, router, mentioning: "encryption needs libsodium.so beside the weave binary");
    }

    /// <summary>A TCP listener on the host's <paramref name="endPoint"/>, so the router finds it taken.</summary>
    private static Socket Squat(LabHost host, IPEndPoint endPoint) => host.Run(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(endPoint);
        socket.Listen(1);
        return socket;
    });

    private static void AssertFailsCleanly(LabHost host, LabProcess router, string mentioning)
    {
        bool exited = router.WaitForExit(s_exitWithin);
        if (!exited)
        {
            router.Kill();
        }
        Assert.True(exited, $"`{router.CommandLine}` was still running after {s_exitWithin}:\n{router.Output}");
        Assert.True(router.ExitCode != 0, $"`{router.CommandLine}` exited 0:\n{router.Output}");
        Assert.True(router.StderrLines.Count == 1, $"expected exactly one line on stderr, got {router.StderrLines.Count}:\n{router.Stderr}");
        Assert.Contains(mentioning, router.StderrLines[0], StringComparison.Ordinal);
        Assert.Equal(["lo", "eth0"], host.Links());
    }
}
