using Weave.Gossip.Mesh;
using Weave.Simulation;

namespace Weave.Tests.Simulation;

/// <summary>
/// Shared set-up for the simulation tests: each test has a fixed default seed, overridden by
/// <c>WEAVE_SIM_SEED</c> to replay a failure (every failure message starts with the seed).
/// </summary>
internal static class Sim
{
    /// <summary>Anti-entropy every second, so repairs show up within seconds of simulated time.</summary>
    public static MeshOptions FastGossip { get; } = new() { GossipInterval = TimeSpan.FromSeconds(1) };

    public static SimulatedMesh Create(int defaultSeed, SimulationOptions? options = null) =>
        new(SimulatedMesh.SeedFromEnvironment(defaultSeed), options);

    /// <summary>Peer 0 with no targets, then peer i targeting peer i - 1.</summary>
    public static void AddChain(this SimulatedMesh mesh, int count)
    {
        int first = mesh.Peers.Count;
        for (int i = 0; i < count; i++)
        {
            int index = first + i;
            if (index == 0)
            {
                mesh.AddPeer();
            }
            else
            {
                mesh.AddPeer(index - 1);
            }
        }
    }

    /// <summary>Fails with the simulator's report (seed first) when the host contract was broken.</summary>
    public static void CheckContract(this SimulatedMesh mesh) =>
        mesh.Check(mesh.ContractViolations.Count == 0, $"{mesh.ContractViolations.Count} host-contract violations");
}
