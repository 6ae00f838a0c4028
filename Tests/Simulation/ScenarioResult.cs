namespace Weave.Simulation;

/// <summary>How a random schedule ended: converged (and how long after the final heal), else the full report.</summary>
public sealed record ScenarioResult(int Seed, bool Converged, TimeSpan ConvergedAfter, string Report, ulong TraceHash, string Schedule)
{
    public override string ToString() => Converged
        ? $"seed {Seed}: converged {SimulatedMesh.FormatElapsed(ConvergedAfter)} after healing; schedule: {Schedule}"
        : $"seed {Seed}: did not converge; replay with SimulatedMesh.Replay({Seed})\n{Report}";
}
