using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>
/// With messages lost, duplicated or reordered (which TCP never shows, but a bug or a reset can
/// approximate), deltas alone cannot converge: anti-entropy (digests every GossipInterval) must.
/// </summary>
public sealed class MeshNetworkFaultTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.2, 0.0, false)]
    [InlineData(0.0, 0.3, false)]
    [InlineData(0.0, 0.0, true)]
    [InlineData(0.1, 0.1, true)]
    public void Faults_StillConverge(double loss, double duplication, bool reorder)
    {
        var options = new SimulationOptions
        {
            Mesh = Sim.FastGossip,
            LossRate = loss,
            DuplicationRate = duplication,
            Fifo = !reorder,
            ReorderJitter = TimeSpan.FromMilliseconds(200),
        };
        SimulatedMesh mesh = Sim.Create(31, options);
        mesh.AddChain(8);

        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromMinutes(5), "no convergence under network faults");

        output.WriteLine($"loss {loss}, dup {duplication}, reorder {reorder}: converged after {took.TotalSeconds:0.0} s; {mesh.Counters.Summary()}");
        mesh.CheckContract();
    }

    [Fact]
    public void Loss_AfterConvergence_ChangesRepairedByAntiEntropy()
    {
        SimulatedMesh mesh = Sim.Create(32, new SimulationOptions { Mesh = Sim.FastGossip, LossRate = 0.3 });
        mesh.AddChain(6);
        mesh.RunUntilConverged(TimeSpan.FromMinutes(5));

        mesh.Crash(5);
        mesh.AddPeer(2);
        mesh.RunUntilConverged(TimeSpan.FromMinutes(5), "no convergence after a crash and a join under 30% loss");
        mesh.CheckContract();
    }
}
