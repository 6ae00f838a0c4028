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

    /// <summary>
    /// Every documented flag and environment variable of `weave launch` (README, docs/,
    /// ARCHITECTURE.md) with a value that cannot work, and peer names no peer may have from each
    /// place a name comes from: each start exits non-zero with one line on stderr naming the
    /// setting, never a stack trace, and leaves no link behind. (Ports in use and a missing
    /// libsodium have tests of their own above.)
    /// </summary>
    [RootFact]
    public void Launch_EveryDocumentedBadInput_FailsWithOneLine_NoStackTrace()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        string dataDir = host.DataDirectory;
        string zeroNameDir = Path.Combine(lab.TempDirectory, "zero-name");
        Directory.CreateDirectory(zeroNameDir);
        File.WriteAllText(Path.Combine(zeroNameDir, "peer-name"), "00:00:00:00:00:00\n");
        string nameIsDirectory = Path.Combine(lab.TempDirectory, "name-is-dir");
        Directory.CreateDirectory(Path.Combine(nameIsDirectory, "peer-name"));
        string aFile = Path.Combine(lab.TempDirectory, "a-file");
        File.WriteAllText(aFile, "");
        string missing = Path.Combine(lab.TempDirectory, "missing-password");

        (string[] Args, string[] Environment, string Mentioning)[] cases =
        [
            (["--name", "00:00:00:00:00:00"], [], "is the zero name"),
            (["--name", "ff:ff:ff:ff:ff:ff"], [], "is the broadcast address"),
            (["--name", "01:00:5e:00:00:01"], [], "is a multicast address"),
            (["--name", "5e:1a:00:00:00"], [], "invalid --name '5e:1a:00:00:00'"),
            (["--data-dir", zeroNameDir], [], $"unusable peer name in {zeroNameDir}/peer-name: 00:00:00:00:00:00 is the zero name"),
            (["--data-dir", nameIsDirectory], [], $"cannot read the saved peer name {nameIsDirectory}/peer-name"),
            (["--data-dir", aFile], [], $"cannot save the peer name to {aFile}/peer-name"),
            (["--port", "0"], [], "invalid --port 0"),
            (["--port", "70000"], [], "invalid --port 70000"),
            (["--host", "nonsense"], [], "invalid --host 'nonsense'"),
            (["--mtu", "100"], [], "invalid --mtu 100"),
            (["--mtu", "100000"], [], "invalid --mtu 100000"),
            (["--http-addr", "localhost"], [], "invalid --http-addr 'localhost'"),
            (["--metrics-addr", "localhost"], [], "invalid --metrics-addr 'localhost'"),
            (["--status-addr", "localhost"], [], "invalid --status-addr 'localhost'"),
            (["--conn-limit", "-1"], [], "invalid --conn-limit -1"),
            (["--conn-limit", "many"], [], "many"),
            (["--ipalloc-range", "10.0.0.0/33"], [], "invalid --ipalloc-range '10.0.0.0/33'"),
            (["--ipalloc-default-subnet", "192.168.0.0/24"], [], "invalid --ipalloc-default-subnet 192.168.0.0/24"),
            (["--ipalloc-init", "bogus"], [], "invalid --ipalloc-init"),
            (["--ipalloc-init", "seed=00:00:00:00:00:00"], [], "is the zero name"),
            (["--ipalloc-init", "seed=ff:ff:ff:ff:ff:ff"], [], "is the broadcast address"),
            (["--password", ""], [], "invalid --password: the password is empty"),
            (["--password", "a", "--password-file", aFile], [], "not both"),
            (["--password-file", missing], [], $"cannot read --password-file {missing}"),
            (["--password-file", aFile], [], "the password is empty"),
            (["--trusted-subnets", "bogus"], [], "invalid --trusted-subnets 'bogus'"),
            (["--expose-ip", "bogus"], [], "invalid --expose-ip 'bogus'"),
            (["--expose-ip", "8.8.8.8"], [], "invalid --expose-ip '8.8.8.8'"),
            (["--kubernetes"], [], "not running in a Kubernetes pod"),
            (["--log-level", "loud"], [], "'loud'"),
            (["not_a_host:99999"], [], "not_a_host"),
            (["10.0.0.1:0"], [], "10.0.0.1:0"),
            (["--bogus"], [], "--bogus"),
            ([], ["IPALLOC_RANGE=bogus"], "invalid IPALLOC_RANGE 'bogus'"),
            ([], ["IPALLOC_INIT=bogus"], "invalid IPALLOC_INIT"),
            ([], ["IPALLOC_INIT=seed=01:00:5e:00:00:01"], "is a multicast address"),
            ([], ["WEAVE_MTU=abc"], "invalid WEAVE_MTU 'abc'"),
            ([], ["WEAVE_MTU=100"], "invalid WEAVE_MTU 100"),
            ([], ["CONN_LIMIT=x"], "invalid CONN_LIMIT 'x'"),
            ([], ["CONN_LIMIT=-1"], "invalid CONN_LIMIT -1"),
            ([], [$"WEAVE_PASSWORD_FILE={missing}"], $"cannot read WEAVE_PASSWORD_FILE {missing}"),
            ([], ["WEAVE_PASSWORD=a", $"WEAVE_PASSWORD_FILE={aFile}"], "set WEAVE_PASSWORD or WEAVE_PASSWORD_FILE, not both"),
            ([], ["WEAVE_HTTP_ADDR=bogus"], "invalid WEAVE_HTTP_ADDR 'bogus'"),
            ([], ["WEAVE_METRICS_ADDR=bogus"], "invalid WEAVE_METRICS_ADDR 'bogus'"),
            ([], ["WEAVE_STATUS_ADDR=bogus"], "invalid WEAVE_STATUS_ADDR 'bogus'"),
            ([], ["WEAVE_EXPOSE_IP=bogus"], "invalid WEAVE_EXPOSE_IP 'bogus'"),
            ([], ["KUBE_PEERS=not_a_host:99999"], "invalid KUBE_PEERS"),
            ([], ["EXTRA_ARGS=--bogus"], "--bogus"),
            (["--data-dir", dataDir], ["EXTRA_ARGS=--name 00:00:00:00:00:00"], "is the zero name"),
        ];
        var failures = new List<string>();
        foreach ((string[] args, string[] environment, string mentioning) in cases)
        {
            // The lab's name and data directory, unless the case is about them; --log-level warning
            // keeps the start's info lines off stderr, so the reason is the one line.
            var argv = new List<string> { "launch", "--nickname", host.Name };
            if (!args.Contains("--name") && !args.Contains("--data-dir"))
            {
                argv.AddRange(["--name", host.PeerName]);
            }
            if (!args.Contains("--data-dir"))
            {
                argv.AddRange(["--data-dir", dataDir]);
            }
            if (!args.Contains("--log-level"))
            {
                argv.AddRange(["--log-level", "warning"]);
            }
            argv.AddRange(args);
            LabProcess router = host.Start("/usr/bin/env", [.. environment, Repo.RequireWeaveBinary(), .. argv]);
            string? problem = Problem(host, router, mentioning);
            output.WriteLine($"{string.Join(' ', environment)} weave {string.Join(' ', argv)} -> exit {router.ExitCode}: {router.Stderr.Trim()}");
            if (problem is not null)
            {
                failures.Add($"{string.Join(' ', environment)} weave {string.Join(' ', argv)}: {problem}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Length} bad inputs were not refused cleanly:\n" + string.Join("\n", failures));
    }

    /// <summary>A TCP listener on the host's <paramref name="endPoint"/>, so the router finds it taken.</summary>
    private static Socket Squat(LabHost host, IPEndPoint endPoint) => host.Run(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(endPoint);
        socket.Listen(1);
        return socket;
    });

    /// <summary>What is wrong with how <paramref name="router"/> failed, or null when it failed cleanly.</summary>
    private static string? Problem(LabHost host, LabProcess router, string mentioning)
    {
        if (!router.WaitForExit(s_exitWithin))
        {
            router.Kill();
            return $"still running after {s_exitWithin}";
        }
        if (router.ExitCode == 0)
        {
            return "exited 0";
        }
        if (router.StderrLines.Count != 1)
        {
            return $"{router.StderrLines.Count} lines on stderr: {router.Stderr}";
        }
        string line = router.StderrLines[0];
        if (line.Contains(" at ", StringComparison.Ordinal) && line.Contains("Exception", StringComparison.Ordinal) || line.Contains("unexpected error", StringComparison.Ordinal))
        {
            return "a crash: " + line;
        }
        if (!line.StartsWith("weave: ", StringComparison.Ordinal) || !line.Contains(mentioning, StringComparison.Ordinal))
        {
            return $"the line does not say '{mentioning}': {line}";
        }
        IReadOnlyList<string> links = host.Links();
        return links.SequenceEqual(["lo", "eth0"]) ? null : "links left behind: " + string.Join(' ', links);
    }

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
