using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>The shape of the random schedules <see cref="RandomScenario"/> draws from a seed.</summary>
public sealed record ScenarioParameters
{
    public int InitialPeers { get; init; } = 4;
    public int MaxPeers { get; init; } = 10;

    /// <summary>Operations (join, crash, restart, partition, heal, wait) drawn before the final heal.</summary>
    public int Steps { get; init; } = 12;

    /// <summary>Longest pause between two operations.</summary>
    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After healing and restarting every crashed peer, how long the mesh gets to converge (backoff is capped at 6 min).</summary>
    public TimeSpan ConvergenceLimit { get; init; } = TimeSpan.FromMinutes(20);

    public SimulationOptions Simulation { get; init; } = new()
    {
        Mesh = new MeshOptions { GossipInterval = TimeSpan.FromSeconds(5) },
        TraceLines = 40,
    };

    public override string ToString() =>
        $"initial {InitialPeers}, max {MaxPeers} peers, {Steps} steps, pauses up to {MaxPause.TotalSeconds} s, limit {ConvergenceLimit.TotalMinutes} min; {Simulation}";
}
