using Weave.Lab;
using Weave.Lab.Soak;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// bench/soak sized for CI: five routers allocating and freeing for two minutes while a router is
/// killed or a link cut every 20 s (each fault lasting 10 s). No acknowledged allocation may be
/// lost, moved or held twice, no freed one come back, and the rings must agree after the last heal.
/// Memory and open files are printed, not asserted: two minutes say little about a leak (the
/// 30-minute run in bench/README.md does).
/// </summary>
public sealed class Soak5Tests(ITestOutputHelper output)
{
    [RootFact]
    public async Task Allocations_SurviveKillsAndCuts_WithNoDuplicateOrLoss()
    {
        RootFactAttribute.Require();
        var options = new SoakOptions
        {
            Duration = TimeSpan.FromMinutes(2),
            Seed = 19,
            FaultEvery = TimeSpan.FromSeconds(10),
            CheckEvery = TimeSpan.FromSeconds(15),
        };

        SoakReport report = await SoakRun.RunAsync(options, output.WriteLine);

        output.WriteLine(report.ToMarkdown());
        Assert.True(report.Kills + report.Cuts >= 4, $"only {report.Kills} kills and {report.Cuts} cuts happened");
        Assert.True(report.Allocations > 500 && report.Frees > 300, $"too little traffic to judge: {report.Allocations} allocations, {report.Frees} frees");
        Assert.Empty(report.Violations);
        Assert.True(report.RingsAgreeAtEnd);
    }
}
