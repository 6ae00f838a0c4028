using Weave.Gossip.Mesh;
using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>
/// A sparse mesh (discovery off, each peer targets 3 random earlier peers, about 6 links each):
/// changes must reach everyone by relaying alone. The periodic digest comes every 30 s, so
/// agreeing within 3 s of simulated time proves no peer was left to wait for it (before the
/// flood/sparse-neighbour relays, 1 seed in 3 at N = 250 waited 20–30 s).
/// </summary>
public sealed class SparseMeshTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(250, 1)]
    [InlineData(250, 3)]
    [InlineData(250, 4)]
    public void SparseMesh_FormsJoinsAndLeaves_ByRelaysAlone(int peers, int seed)
    {
        SimulatedMesh mesh = Sim.Create(seed * 100_003 + peers, new SimulationOptions { Mesh = new MeshOptions { Discovery = false }, TraceLines = 0 });
        var choose = new Random(seed);
        mesh.AddPeer();
        for (int i = 1; i < peers; i++)
        {
            mesh.AddPeer(RandomTargets(choose, i));
        }

        TimeSpan formed = AgreeWithin(mesh, "formation");
        mesh.AddPeer(RandomTargets(choose, peers));
        TimeSpan joined = AgreeWithin(mesh, "join");
        mesh.Leave(choose.Next(peers));
        TimeSpan left = AgreeWithin(mesh, "leave");

        output.WriteLine($"N={peers} seed {seed}: formed {formed.TotalSeconds:0.000} s, join {joined.TotalSeconds:0.000} s, leave {left.TotalSeconds:0.000} s simulated; {mesh.Counters.Summary()}");
        mesh.CheckContract();
    }

    private static int[] RandomTargets(Random choose, int earlier) =>
        [.. Enumerable.Range(0, Math.Min(earlier, 3)).Select(_ => choose.Next(earlier)).Distinct()];

    private static TimeSpan AgreeWithin(SimulatedMesh mesh, string what)
    {
        TimeSpan start = mesh.Elapsed;
        bool agreed = mesh.RunUntil(() => mesh.TopologiesAgree(deep: false), s_bound, TimeSpan.FromMilliseconds(10));
        mesh.Check(agreed, $"topologies did not agree within {s_bound.TotalSeconds} s after {what}: {mesh.TopologyDisagreement(deep: false)}");
        return mesh.Elapsed - start;
    }
}
