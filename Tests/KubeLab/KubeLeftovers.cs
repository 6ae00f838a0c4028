using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// Removes what crashed clusters left (their owner, named in the run name, is dead): every
/// process in their nodes' cgroups (containers included), the cgroups, their namespaces with
/// whatever runs inside, their run directories, and the machine's mount points no live run needs.
/// Live runs are left alone. <see cref="KubeCluster.Start"/> calls it first.
/// </summary>
public static class KubeLeftovers
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>Removes dead runs' leftovers; returns a line per thing removed.</summary>
    public static IReadOnlyList<string> Remove(Action<string>? log = null)
    {
        var removed = new List<string>();
        // Cgroups first: freezing them stops kubelet and containerd from restarting what we kill.
        foreach (string name in NodeCgroups.TopLevelNames(IsDeadRuns))
        {
            var cgroups = new NodeCgroups(name);
            _ = cgroups.KillAll(s_timeout);
            IReadOnlyList<string> left = cgroups.Remove(s_timeout);
            Report(removed, log, left.Count == 0 ? $"removed leftover cgroup {name} and its processes" : $"could not remove {string.Join(", ", left)}");
        }
        // The network lab knows run names too: it kills what runs in dead runs' namespaces and deletes them.
        foreach (string ns in Leftovers.Remove(log))
        {
            removed.Add("removed leftover namespace " + ns);
        }
        if (Directory.Exists(KubeRuns.Root))
        {
            foreach (string dir in Directory.GetDirectories(KubeRuns.Root))
            {
                string name = Path.GetFileName(dir);
                if (KubeRuns.RunOf(name) == name && KubeRuns.IsDead(name))
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                        Report(removed, log, "removed leftover run directory " + dir);
                    }
                    catch (IOException e)
                    {
                        Report(removed, log, $"could not remove {dir}: {e.Message}");
                    }
                }
            }
        }
        HostMountPoints.ReleaseUnlessInUse(self: null, log is null ? null : line => log("kube lab: " + line));
        return removed;
    }

    private static bool IsDeadRuns(string name) => KubeRuns.RunOf(name) is string run && KubeRuns.IsDead(run);

    private static void Report(List<string> removed, Action<string>? log, string line)
    {
        removed.Add(line);
        log?.Invoke("kube lab: " + line);
    }
}
