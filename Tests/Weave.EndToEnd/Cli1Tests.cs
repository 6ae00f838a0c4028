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
}
