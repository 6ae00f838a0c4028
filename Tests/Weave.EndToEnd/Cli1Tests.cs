using System.Net;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>One host: the `weave` client commands against a router that is or is not there.</summary>
public sealed class Cli1Tests(ITestOutputHelper output)
{
    [RootFact]
    public void Status_WithoutRouter_FailsWithOneLine()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);

        CommandResult status = lab.Hosts[0].RunWeave("status");

        Assert.False(status.Succeeded, status.ToString());
        Assert.False(status.TimedOut, status.ToString());
        Assert.True(status.StderrLines.Count == 1, $"expected exactly one line on stderr:\n{status}");
    }

    [RootFact]
    public void Status_WithRouter_ShowsOwnNameAndNoConnections()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        LabProcess router = host.StartRouter();

        CommandResult status = default!;
        bool answered = Eventually.True(() => (status = host.RunWeave("status")).Succeeded || router.HasExited, TimeSpan.FromSeconds(30));

        Assert.True(answered && status.Succeeded, $"{status}\nrouter:\n{router.Output}");
        Assert.Contains($"{host.PeerName}(host1)", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Connections:\s*0\b", status.Stdout);
        Assert.Equal(0, router.Stop());
    }

    /// <summary>
    /// Weave's operator commands against a real router: expose (only in the range) and hide, the
    /// exposed address kept while on the bridge, ps with the MAC column, report -f, stop.
    /// </summary>
    [RootFact]
    public void ExposeHidePsReportStop_AgainstARouter()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        LabProcess router = host.StartRouter("--ipalloc-range", "10.40.0.0/24", "--ipalloc-init", "seed=" + host.PeerName);
        using var api = new RouterApi(host);
        Assert.True(Eventually.True(() => api.Get("/status/ipam").Status == 200 || router.HasExited, TimeSpan.FromSeconds(30)), router.Output);

        CommandResult expose = host.RunWeave("expose");
        Assert.True(expose.Succeeded, expose.ToString());
        Assert.Equal("10.40.0.1/24", expose.Stdout.Trim());
        Assert.Contains("inet 10.40.0.1/24", Ip.In(host.Namespace, "addr", "show", "dev", "weave").Stdout, StringComparison.Ordinal);

        // Outside the range, or wider than it: refused in one line, the bridge untouched.
        foreach (string bad in (string[])["8.8.8.8/12", "10.40.0.9/16", "10.40.0"])
        {
            CommandResult refused = host.RunWeave("expose", bad);
            Assert.False(refused.Succeeded, refused.ToString());
            Assert.True(refused.StderrLines.Count == 1, refused.ToString());
        }
        Assert.DoesNotContain("8.8.8.8", Ip.In(host.Namespace, "addr", "show", "dev", "weave").Stdout, StringComparison.Ordinal);

        // While on the bridge the address is the host's: not freed, not given to a pod.
        Assert.Equal(409, api.Delete("/ip/weave:expose").Status);
        Assert.Equal(409, api.Send(HttpMethod.Put, "/ip/pod/10.40.0.1/24").Status);

        string bridgeMac = Ip.In(host.Namespace, "-o", "link", "show", "dev", "weave").Stdout.Split("link/ether ")[1].Split(' ')[0];
        CommandResult ps = host.RunWeave("ps");
        Assert.True(ps.Succeeded, ps.ToString());
        Assert.Contains($"weave:expose {bridgeMac} 10.40.0.1/24", ps.Stdout, StringComparison.Ordinal);

        CommandResult report = host.RunWeave("report", "-f", "{{.Router.Name}} {{.IPAM.Range}}{{range .Router.Connections}}x{{end}}");
        Assert.True(report.Succeeded, report.ToString());
        Assert.Equal($"{host.PeerName} 10.40.0.0/24", report.Stdout);
        CommandResult badTemplate = host.RunWeave("report", "-f", "{{.Router.Name");
        Assert.False(badTemplate.Succeeded, badTemplate.ToString());
        Assert.True(badTemplate.StderrLines.Count == 1, badTemplate.ToString());

        CommandResult hide = host.RunWeave("hide", "10.40.0.1");
        Assert.True(hide.Succeeded, hide.ToString());
        Assert.DoesNotContain("10.40.0.1", Ip.In(host.Namespace, "addr", "show", "dev", "weave").Stdout, StringComparison.Ordinal);
        Assert.Equal(404, api.Get("/ip/weave:expose").Status);
        Assert.Equal(200, api.Send(HttpMethod.Put, "/ip/pod/10.40.0.1/24").Status);

        CommandResult stop = host.RunWeave("stop");
        Assert.True(stop.Succeeded, stop.ToString());
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(15)), router.Output);
        Assert.Equal(0, router.ExitCode);
        Assert.Contains("weave stop", router.Stderr, StringComparison.Ordinal);
        CommandResult again = host.RunWeave("stop");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("nothing to stop", again.Stdout, StringComparison.Ordinal);
    }
}
