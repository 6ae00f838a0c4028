namespace Weave.KubeLab;

/// <summary>
/// The machine's paths that every node mounts a private view over (its own /etc/cni/net.d,
/// /opt/cni/bin, ...). A bind mount needs its target to exist, so missing ones are created here.
/// Concurrent runs share them, so what was created is recorded in one machine-wide list and
/// removed when no live run is left, by the last run to finish or, after a crash, by the next start.
/// </summary>
internal static class HostMountPoints
{
    public const string MachineId = "/etc/machine-id";

    /// <summary>The directories every node mounts a view of its own over.</summary>
    public static IEnumerable<string> Directories => KubeNode.Views.Select(v => v.Target);

    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);

    private static string ListPath => Path.Combine(KubeRuns.Root, "created-mount-points.list");

    private static string LockPath => Path.Combine(KubeRuns.Root, ".mount-points.lock");

    /// <summary>Creates the missing mount points (parents first), recording each before it exists.</summary>
    public static void Ensure(Action<string>? log)
    {
        _ = Directory.CreateDirectory(KubeRuns.Root);
        using MachineLock machineLock = MachineLock.Acquire(LockPath, s_lockTimeout);
        foreach (string dir in Directories)
        {
            var missing = new Stack<string>();
            for (string? path = dir; path is not null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
            {
                missing.Push(path);
            }
            foreach (string path in missing)
            {
                Record(path);
                _ = Directory.CreateDirectory(path);
                log?.Invoke($"created mount point {path} (removed when the last run ends)");
            }
        }
        if (!File.Exists(MachineId))
        {
            Record(MachineId);
            File.WriteAllText(MachineId, "");
        }
    }

    /// <summary>
    /// Removes the recorded mount points unless a live run other than <paramref name="self"/> may
    /// still use them. Only those without files go: whatever someone else put there meanwhile stays,
    /// and the path stays recorded for a later try.
    /// </summary>
    public static void ReleaseUnlessInUse(string? self, Action<string>? log)
    {
        if (!File.Exists(ListPath))
        {
            return;
        }
        using MachineLock machineLock = MachineLock.Acquire(LockPath, s_lockTimeout);
        if (!File.Exists(ListPath) || KubeRuns.LiveRuns(except: self).Count > 0)
        {
            return;
        }
        var kept = new List<string>();
        foreach (string path in File.ReadAllLines(ListPath).Where(p => p.Length > 0).Distinct().Reverse())
        {
            try
            {
                if (Directory.Exists(path))
                {
                    // Empty directories someone made inside (containerd's /run/containerd/s) hold nothing to lose.
                    bool onlyDirectories = !Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Any();
                    Directory.Delete(path, recursive: onlyDirectories);
                }
                else if (File.Exists(path) && new FileInfo(path).Length == 0)
                {
                    File.Delete(path);
                }
            }
            catch (IOException e)
            {
                // Someone else's files are in it: the next release tries again.
                kept.Insert(0, path);
                log?.Invoke($"left mount point {path}: {e.Message}");
            }
        }
        if (kept.Count > 0)
        {
            File.WriteAllLines(ListPath, kept);
        }
        else
        {
            File.Delete(ListPath);
        }
    }

    private static void Record(string path)
    {
        using var list = new StreamWriter(ListPath, append: true);
        list.WriteLine(path);
    }
}
