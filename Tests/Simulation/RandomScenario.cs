namespace Weave.Simulation;

/// <summary>
/// A random schedule of joins, crashes, restarts, partitions and pauses drawn from a seed, then a
/// final heal (partition ended, every crashed peer restarted) and a run to convergence. The
/// schedule comes from its own <c>new Random(seed)</c> and the mesh from the same seed, so
/// <c>Run(seed)</c> (or <see cref="SimulatedMesh.Replay"/>) repeats a failing case exactly.
/// </summary>
public static class RandomScenario
{
    public static ScenarioResult Run(int seed, ScenarioParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var choose = new Random(seed);
        var mesh = new SimulatedMesh(seed, parameters.Simulation);
        try
        {
            mesh.AddPeer();
            for (int i = 1; i < parameters.InitialPeers; i++)
            {
                mesh.AddPeer(choose.Next(i));
            }
            mesh.RunFor(Pause(choose, parameters));
            for (int step = 0; step < parameters.Steps; step++)
            {
                ApplyRandomOperation(mesh, choose, parameters);
                mesh.RunFor(Pause(choose, parameters));
            }
            mesh.Heal();
            foreach (SimulatedPeer p in mesh.Peers.Where(p => !p.IsAlive).ToList())
            {
                mesh.Restart(p.Index);
            }
            TimeSpan healed = mesh.Elapsed;
            bool converged = mesh.RunUntil(() => mesh.IsFullyConnected() && mesh.TopologiesAgree(), parameters.ConvergenceLimit, TimeSpan.FromMilliseconds(100));
            converged &= mesh.ContractViolations.Count == 0;
            string report = converged ? "" : $"scenario: {parameters}\n{mesh.TopologyDisagreement() ?? ""}\n{mesh.Describe()}";
            return new ScenarioResult(seed, converged, mesh.Elapsed - healed, report, mesh.TraceHash, string.Join("; ", mesh.Operations));
        }
        catch (SimulationException e)
        {
            return new ScenarioResult(seed, false, TimeSpan.Zero, $"scenario: {parameters}\n{e.Message}", mesh.TraceHash, string.Join("; ", mesh.Operations));
        }
    }

    private static TimeSpan Pause(Random choose, ScenarioParameters parameters) =>
        TimeSpan.FromTicks(choose.NextInt64(parameters.MaxPause.Ticks + 1));

    private static void ApplyRandomOperation(SimulatedMesh mesh, Random choose, ScenarioParameters parameters)
    {
        int count = mesh.Peers.Count;
        List<int> live = mesh.LivePeers.Select(p => p.Index).ToList();
        switch (choose.Next(6))
        {
            case 0 when count < parameters.MaxPeers:
                mesh.AddPeer(choose.Next(count));
                break;
            case 1 when live.Count > 2:
                mesh.Crash(live[choose.Next(live.Count)]);
                break;
            case 2:
                mesh.Restart(choose.Next(count));
                break;
            case 3:
                var side = Enumerable.Range(0, count).Where(_ => choose.Next(2) == 0).ToList();
                if (side.Count > 0 && side.Count < count)
                {
                    mesh.Partition(side);
                }
                break;
            case 4:
                mesh.Heal();
                break;
            default:
                break; // just time passing
        }
    }
}
