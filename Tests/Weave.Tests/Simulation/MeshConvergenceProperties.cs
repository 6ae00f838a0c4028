using FsCheck.Xunit;
using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>
/// Random schedules of joins, crashes, restarts and partitions, each drawn from a seed: after the
/// final heal every mesh converges. A failure prints the seed; replay it with
/// <c>SimulatedMesh.Replay(seed)</c>.
/// </summary>
public sealed class MeshConvergenceProperties(ITestOutputHelper output)
{
    /// <summary>The schedules are not vacuous: across a few seeds they crash, restart, partition and still converge.</summary>
    [Fact]
    public void RandomSchedules_IncludeFaults_AndConverge()
    {
        var results = Enumerable.Range(1, 10).Select(seed => SimulatedMesh.Replay(seed)).ToList();
        foreach (ScenarioResult r in results)
        {
            output.WriteLine(r.ToString());
        }
        Assert.All(results, r => Assert.True(r.Converged, r.ToString()));
        string all = string.Join("\n", results.Select(r => r.Schedule));
        Assert.Contains("Crash(", all, StringComparison.Ordinal);
        Assert.Contains("Restart(", all, StringComparison.Ordinal);
        Assert.Contains("Partition(", all, StringComparison.Ordinal);
    }

    [Property(MaxTest = 100)]
    public bool Mesh_ConvergesAfterHealing_UnderRandomSchedules(int seed)
    {
        ScenarioResult result = SimulatedMesh.Replay(seed);
        return result.Converged ? true : throw new Xunit.Sdk.XunitException(result.ToString());
    }

    [Property(MaxTest = 40)]
    public bool Mesh_ConvergesAfterHealing_UnderLossAndReordering(int seed)
    {
        var parameters = new ScenarioParameters
        {
            Simulation = new SimulationOptions
            {
                Mesh = new Weave.Gossip.Mesh.MeshOptions { GossipInterval = TimeSpan.FromSeconds(2) },
                LossRate = 0.1,
                DuplicationRate = 0.05,
                Fifo = false,
                TraceLines = 40,
            },
        };
        ScenarioResult result = SimulatedMesh.Replay(seed, parameters);
        return result.Converged ? true : throw new Xunit.Sdk.XunitException(result.ToString());
    }
}
