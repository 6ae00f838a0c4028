using System.Globalization;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// NetworkPolicy conformance on a real cluster of two nodes, in the style of upstream's e2e
/// tests: 9 pods in 3 namespaces, every pair probed both ways on TCP and UDP 80 and 81 (and each
/// pod to the world on TCP 80) after each policy change, against <see cref="SpecModel"/>.
/// <c>WEAVE_NPC_SCENARIOS=text|text</c> runs only the scenarios whose name contains one of the texts.
/// </summary>
public sealed partial class NetworkPolicyConformance2Tests : IClassFixture<PolicyLab>
{
    private readonly PolicyLab _lab;
    private readonly ITestOutputHelper _output;

    public NetworkPolicyConformance2Tests(PolicyLab lab, ITestOutputHelper output)
    {
        _lab = lab;
        _output = output;
        _lab.Output = output.WriteLine;
    }

    [RootFact]
    public async Task Scenarios_MatchTheModel_WithZeroMismatches()
    {
        RootFactAttribute.Require();
        _lab.Start();
        string? only = Environment.GetEnvironmentVariable("WEAVE_NPC_SCENARIOS");
        Scenario[] scenarios = [.. Scenarios.Suite.Where(s => string.IsNullOrEmpty(only)
            || only.Split('|').Any(text => s.Name.Contains(text, StringComparison.OrdinalIgnoreCase)))];
        Assert.NotEmpty(scenarios);
        var failures = new List<string>();
        int checks = 0, probes = 0;
        for (int n = 0; n < scenarios.Length; n++)
        {
            Scenario scenario = scenarios[n];
            _lab.ReplacePolicies(scenario.Policies(_lab.State));
            try
            {
                (int Probes, string? Failure) first = await CheckAsync($"{n + 1}. {scenario.Name}");
                (checks, probes) = (checks + 1, probes + first.Probes);
                if (first.Failure is { } failure)
                {
                    failures.Add(failure);
                }
                if (scenario.Change is { } change)
                {
                    await change(_lab);
                    (int Probes, string? Failure) second = await CheckAsync($"{n + 1}. {scenario.Name}, then {scenario.ChangeWhat}");
                    (checks, probes) = (checks + 1, probes + second.Probes);
                    if (second.Failure is { } changed)
                    {
                        failures.Add(changed);
                    }
                }
            }
            finally
            {
                if (scenario.Restore is { } restore)
                {
                    await restore(_lab);
                }
            }
        }
        _lab.ReplacePolicies([]);
        _output.WriteLine($"{scenarios.Length} scenarios, {checks} matrices, {probes} probes compared, {failures.Count} matrices with mismatches");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checks} matrices disagree with the model:\n\n{string.Join("\n\n", failures)}");
    }

    /// <summary>One matrix against the model; returns the probes compared, and the report when they disagree.</summary>
    private async Task<(int Probes, string? Failure)> CheckAsync(string what)
    {
        (TruthTable table, int rounds, TimeSpan took) = await MatrixCheck.RunAsync(_lab);
        int probes = _lab.Matrix().Count;
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {probes} probes, {table.AllowedByModel} allowed by the model, {table.Mismatches} mismatches after {rounds} round(s) in {took.TotalSeconds:F1} s"));
        if (table.Mismatches == 0)
        {
            return (probes, null);
        }
        string report = $"{what}: {table.Mismatches} mismatches\n{table.Render()}{string.Join("\n", table.MismatchLines)}";
        _output.WriteLine(report);
        _output.WriteLine(EnforcementDump.Of(_lab.Cluster, table.Wrong));
        return (probes, report);
    }
}
