using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>A full mesh forms from a chain of initial targets (peer i knows only peer i - 1): discovery does the rest.</summary>
public sealed class MeshFormationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 10)]
    [InlineData(3, 10)]
    [InlineData(5, 15)]
    [InlineData(10, 20)]
    [InlineData(50, 30)]
    public void Chain_FormsFullMesh_WithinBound(int peers, int boundSeconds) => FormChain(peers, boundSeconds);

    /// <summary>The same at N = 100 and 200 (about 2 minutes of real time at 200: see bench/README.md for the bytes).</summary>
    [Theory]
    [InlineData(100, 60)]
    [InlineData(200, 60)]
    public void Chain_FormsFullMesh_WithinBound_Large(int peers, int boundSeconds) => FormChain(peers, boundSeconds);

    private void FormChain(int peers, int boundSeconds)
    {
        SimulatedMesh mesh = Sim.Create(1000 + peers, new SimulationOptions { TraceLines = 0 });
        mesh.AddChain(peers);

        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromSeconds(boundSeconds), $"{peers} peers did not form a full mesh");

        output.WriteLine($"N={peers}: full mesh and agreeing topologies after {took.TotalSeconds:0.000} s simulated; {mesh.Counters.Summary()}");
        Assert.Equal(peers * (peers - 1) / 2, mesh.ConnectionCount);
        mesh.CheckContract();
    }

    [Fact]
    public void FullMesh_RunsToQuiescence_AndStaysConverged()
    {
        SimulatedMesh mesh = Sim.Create(7, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(5);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(10));

        bool quiet = mesh.RunToQuiescence(TimeSpan.FromSeconds(30));

        mesh.Check(quiet, "no quiescence after convergence");
        Assert.True(mesh.IsQuiescent());
        Assert.Equal(0, mesh.InFlight);
        mesh.Check(mesh.Converged(), "diverged while quiescing");
        long before = mesh.Counters.TotalMessages;
        mesh.RunFor(TimeSpan.FromSeconds(10));
        mesh.Check(mesh.Converged() && mesh.IsQuiescent(), "steady state did not stay converged and quiet");
        output.WriteLine($"10 s of steady state with 5 peers: {mesh.Counters.TotalMessages - before} messages");
    }

    [Fact]
    public void DataRoutes_ReachEveryPeer_OnceConverged()
    {
        SimulatedMesh mesh = Sim.Create(8);
        mesh.AddChain(6);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(10));
        mesh.RunFor(TimeSpan.FromSeconds(1)); // recalculation is coalesced

        foreach (SimulatedPeer p in mesh.LivePeers)
        {
            foreach (SimulatedPeer q in mesh.LivePeers.Where(q => q.Index != p.Index))
            {
                mesh.Check(p.LiveNode.DataRoutes.TryGetNextHop(q.Name, out var hop) && hop == q.Name,
                    $"peer {p.Index} has no direct data route to {q.Index}");
            }
        }
    }
}
