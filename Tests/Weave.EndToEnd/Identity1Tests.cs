using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>One host: without <c>--name</c> the router picks a name once, saves it in <c>--data-dir</c>, and keeps it across restarts.</summary>
public sealed partial class Identity1Tests(ITestOutputHelper output)
{
    [RootFact]
    public void NoName_NameSavedInDataDir_SameAfterRestart()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        string[] launch = ["launch", "--nickname", host.Name, "--data-dir", host.DataDirectory];

        LabProcess first = host.Start(Repo.RequireWeaveBinary(), launch);
        string name = NameShown(host, first);
        string saved = File.ReadAllText(Path.Combine(host.DataDirectory, "peer-name")).Trim();
        Assert.Equal(name, saved);
        Assert.Equal(0, first.Stop());

        LabProcess second = host.Start(Repo.RequireWeaveBinary(), launch);
        Assert.Equal(name, NameShown(host, second));
        Assert.Equal(0, second.Stop());
    }

    [RootFact]
    public void CorruptPeerNameFile_FailsWithOneLineNamingIt()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        _ = Directory.CreateDirectory(host.DataDirectory);
        string file = Path.Combine(host.DataDirectory, "peer-name");
        File.WriteAllText(file, "not a peer name\n");

        LabProcess router = host.Start(Repo.RequireWeaveBinary(), "launch", "--nickname", host.Name, "--data-dir", host.DataDirectory);

        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(15)), router.Output);
        Assert.NotEqual(0, router.ExitCode);
        Assert.True(router.StderrLines.Count == 1, $"expected exactly one line on stderr:\n{router.Stderr}");
        Assert.Contains(file, router.StderrLines[0], StringComparison.Ordinal);
        Assert.Equal(["lo", "eth0"], host.Links());
    }

    private static string NameShown(LabHost host, LabProcess router)
    {
        CommandResult status = default!;
        bool answered = Eventually.True(() => (status = host.RunWeave("status")).Succeeded || router.HasExited, TimeSpan.FromSeconds(30));
        Assert.True(answered && status.Succeeded, $"{status}\nrouter:\n{router.Output}");
        Match match = NameLine().Match(status.Stdout);
        Assert.True(match.Success, status.Stdout);
        Assert.Equal(host.Name, match.Groups[2].Value);
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"Name:\s*([0-9a-f]{2}(?::[0-9a-f]{2}){5})\((.*)\)")]
    private static partial Regex NameLine();
}
