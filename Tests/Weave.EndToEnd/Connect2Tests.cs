using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>Two hosts whose routers start with no targets: `weave connect` joins them, `weave forget` drops the target.</summary>
public sealed class Connect2Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(15);

    [RootFact]
    public void Connect_JoinsRouterWithoutTargets_TargetsListIt_ForgetRemovesIt()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(2, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1];
        LabProcess router1 = host1.StartRouter();
        LabProcess router2 = host2.StartRouter();
        WaitReady(host1, router1);
        WaitReady(host2, router2);
        string target = $"{host1.UnderlayAddress}:6783";

        Assert.Equal("", RunOk(host2, "status", "targets"));
        Assert.Equal(1, MeshStatusText.Peers(RunOk(host2, "status")));

        // Without a port: the router's own port is meant.
        CommandResult connect = host2.RunWeave("connect", host1.UnderlayAddress.ToString());
        Assert.True(connect.Succeeded, connect.ToString());
        Assert.Equal("", connect.Stdout);
        Assert.Equal("", connect.Stderr);

        Assert.Contains(target, Lines(RunOk(host2, "status", "targets")));
        Assert.True(Eventually.True(() => Joined(host2, host1) && Joined(host1, host2), s_within),
            $"host2 did not join host1 within {s_within} of `weave connect`:\n{Describe(host1)}\n{Describe(host2)}\n" +
            $"router1:\n{router1.Output}\nrouter2:\n{router2.Output}");

        CommandResult forget = host2.RunWeave("forget", target);
        Assert.True(forget.Succeeded, forget.ToString());
        Assert.Equal("", forget.Stdout);
        Assert.Equal("", forget.Stderr);
        Assert.DoesNotContain(target, Lines(RunOk(host2, "status", "targets")));
    }

    [RootFact]
    public void Connect_BadPeer_OneLineNamingIt_TargetsUnchanged()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        LabProcess router = host.StartRouter();
        WaitReady(host, router);

        foreach (string[] command in new[] { new[] { "connect", "not_a_host:99999" }, ["forget", "not_a_host:99999"] })
        {
            CommandResult result = host.RunWeave(command);
            Assert.False(result.Succeeded, result.ToString());
            Assert.True(result.StderrLines.Count == 1, $"expected exactly one line on stderr:\n{result}");
            Assert.Contains("not_a_host", result.StderrLines[0], StringComparison.Ordinal);
        }
        Assert.Equal("", RunOk(host, "status", "targets"));
    }

    [RootFact]
    public void ConnectAndForget_WithoutRouter_FailWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];

        foreach (string[] command in new[] { new[] { "connect", "192.168.231.99" }, ["forget", "192.168.231.99"] })
        {
            CommandResult result = host.RunWeave(command);
            Assert.False(result.Succeeded, result.ToString());
            Assert.False(result.TimedOut, result.ToString());
            Assert.True(result.StderrLines.Count == 1, $"expected exactly one line on stderr:\n{result}");
            Assert.StartsWith("weave: ", result.StderrLines[0], StringComparison.Ordinal);
        }
    }

    /// <summary><paramref name="host"/> knows both peers and has an established connection to <paramref name="other"/>.</summary>
    private static bool Joined(LabHost host, LabHost other)
    {
        CommandResult status = host.RunWeave("status");
        CommandResult connections = host.RunWeave("status", "connections");
        return status.Succeeded && connections.Succeeded && MeshStatusText.Peers(status.Stdout) == 2 &&
            MeshStatusText.Connections(connections.Stdout).Any(r => r.Established &&
                r.Info.Contains($"{other.PeerName}({other.Name})", StringComparison.Ordinal));
    }

    private static void WaitReady(LabHost host, LabProcess router)
    {
        CommandResult status = default!;
        bool ready = Eventually.True(() => (status = host.RunWeave("status")).Succeeded || router.HasExited, TimeSpan.FromSeconds(30));
        Assert.True(ready && status.Succeeded, $"{host.Name}'s router did not answer `weave status`:\n{status}\n{router.Output}");
    }

    private static string RunOk(LabHost host, params string[] args)
    {
        CommandResult result = host.RunWeave(args);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Describe(LabHost host) =>
        $"{host.Name}:\n{host.RunWeave("status")}\n{host.RunWeave("status", "connections")}\n{host.RunWeave("status", "targets")}";
}
