using System.Globalization;
using System.Text.Json.Nodes;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>The plugin's opt-in timing trace (WEAVE_CNI_TRACE=1, read by bench/cni): the steps of a
/// real ADD and DEL in time order on stderr, the result untouched on stdout, nothing without it.</summary>
public sealed class CniTrace1Tests(ITestOutputHelper output)
{
    private const string Prefix = "weave-net trace: ";

    [RootFact]
    public void AddAndDel_WithTheTraceOn_PrintTheirStepsInOrderAndStillAnswerJson()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(1, output.WriteLine);
        LabHost host = cluster.Hosts[0];
        // The first pod also gives the bridge its address (two more router requests): untraced.
        CommandResult first = cluster.Run(0, "ADD", "first-pod", host.AddPodNamespace("first"));
        Assert.True(first.Succeeded, first.ToString());
        Assert.DoesNotContain(Prefix, first.Stderr, StringComparison.Ordinal);
        string netns = host.AddPodNamespace("traced");

        CommandResult add = RunTraced(host, "ADD", netns);

        Assert.True(add.Succeeded, add.ToString());
        Assert.Equal("1.0.0", JsonNode.Parse(add.Stdout)!["cniVersion"]!.GetValue<string>());
        Assert.Equal(
            [
                "process started", "input read", "config parsed", "bridge found, netns opened", "router connected",
                "router answered POST", "gateway read, no stale veth", "veth created", "host end on the bridge, up",
                "pod netns entered", "pod end MAC, up, address, routes", "gratuitous ARP sent", "answer written",
            ],
            Marks(add).Select(m => m.Step));

        CommandResult del = RunTraced(host, "DEL", netns);

        Assert.True(del.Succeeded, del.ToString());
        Assert.Equal("", del.Stdout);
        // The release runs beside the veth's deletion: their marks may come in either order.
        List<string> delSteps = [.. Marks(del).Select(m => m.Step)];
        Assert.Equal(["process started", "input read", "config parsed"], delSteps.Take(3));
        Assert.Equal(["router answered DELETE", "router connected", "veth deleted"], delSteps.Skip(3).SkipLast(1).Order(StringComparer.Ordinal));
        Assert.Equal("answer written", delSteps[^1]);
    }

    private static CommandResult RunTraced(LabHost host, string command, string netns)
    {
        Dictionary<string, string> environment = CniCluster.Environment(command, "traced-pod", netns);
        environment["WEAVE_CNI_TRACE"] = "1";
        return host.RunCniPlugin(environment, CniCluster.Config());
    }

    private List<(long Timestamp, string Step)> Marks(CommandResult run)
    {
        List<(long Timestamp, string Step)> marks = [.. run.Stderr.Split('\n')
            .Where(line => line.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(line => line[Prefix.Length..].TrimEnd('\r').Split(' ', 2))
            .Select(parts => (long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1]))];
        output.WriteLine(string.Join("\n", marks.Select(m => $"{m.Timestamp} {m.Step}")));
        Assert.True(marks.Zip(marks.Skip(1)).All(pair => pair.First.Timestamp <= pair.Second.Timestamp), "the marks are not in time order");
        return marks;
    }
}
