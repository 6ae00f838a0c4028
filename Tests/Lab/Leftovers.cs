namespace Weave.Lab;

/// <summary>
/// Removes what crashed earlier runs left: namespaces (and the processes in them) and temporary
/// directories whose owning process, encoded in the run name, is gone. Live runs are left alone.
/// Names with this process's own pid count as dead until it names its first run (the pid was reused).
/// </summary>
public static class Leftovers
{
    /// <summary>Removes dead runs' leftovers (and their raise of the neighbour table limits); returns the namespaces removed.</summary>
    public static IReadOnlyList<string> Remove(Action<string>? log = null)
    {
        var removed = new List<string>();
        foreach (string ns in LabNamespaces.List())
        {
            if (RunName.TryGetOwner(ns, out int owner) && IsDead(owner))
            {
                string? error = LabNamespaces.Destroy(ns);
                if (error is null)
                {
                    removed.Add(ns);
                    log?.Invoke($"removed leftover namespace {ns} of dead process {owner}");
                }
                else
                {
                    log?.Invoke($"could not remove leftover namespace {ns}: {error}");
                }
            }
        }
        if (Directory.Exists(NetLab.TempRoot))
        {
            foreach (string dir in Directory.GetDirectories(NetLab.TempRoot))
            {
                if (RunName.TryGetOwner(Path.GetFileName(dir), out int owner) && IsDead(owner))
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                    catch (IOException)
                    {
                        // Another run is removing it at the same moment.
                    }
                }
            }
        }
        NeighbourTableLimits.RemoveLeftovers(log);
        return removed;
    }

    private static bool IsDead(int owner) =>
        owner == Environment.ProcessId ? !RunName.HasIssued : !Signals.IsAlive(owner);
}
