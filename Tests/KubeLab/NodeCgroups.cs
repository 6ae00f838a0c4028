using System.Globalization;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// A node's cgroups: <c>/&lt;run&gt;-nodeN</c> in every cgroup v1 hierarchy is kubelet's
/// <c>--cgroup-root</c> (pods go below it, in <c>kubepods/</c>), and its <c>system/</c> holds the
/// node's own processes (containerd and with it every shim, kubelet, kube-proxy). So everything of
/// the node is in one subtree, and that is how it is killed at once: freeze the subtree, SIGKILL
/// every member, thaw. Its network namespace would not find them all: containers have their own.
/// </summary>
internal sealed class NodeCgroups
{
    public const string SystemGroup = "system";

    private const string Root = "/sys/fs/cgroup";

    public NodeCgroups(string name) => Name = name;

    /// <summary>The directory name in each hierarchy, e.g. <c>wv123x1-node1</c>.</summary>
    public string Name { get; }

    /// <summary>Kubelet's <c>--cgroup-root</c>.</summary>
    public string CgroupRoot => "/" + Name;

    /// <summary>Where the node's own processes go, one directory per v1 hierarchy.</summary>
    public IReadOnlyList<string> SystemDirectories => [.. V1Hierarchies().Select(h => Path.Combine(h, Name, SystemGroup))];

    /// <summary>
    /// Creates the subtree in every v1 hierarchy (kubelet refuses to start unless its cgroup root
    /// exists in all of them); cpuset groups get their parent's CPUs and memory nodes, which a new
    /// cpuset group lacks and without which nothing can join it.
    /// </summary>
    public void Create()
    {
        foreach (string hierarchy in V1Hierarchies())
        {
            string node = Path.Combine(hierarchy, Name);
            string system = Path.Combine(node, SystemGroup);
            _ = Directory.CreateDirectory(system);
            if (File.Exists(Path.Combine(hierarchy, "cpuset.cpus")))
            {
                foreach (string file in new[] { "cpuset.cpus", "cpuset.mems" })
                {
                    string value = File.ReadAllText(Path.Combine(hierarchy, file)).Trim();
                    File.WriteAllText(Path.Combine(node, file), value);
                    File.WriteAllText(Path.Combine(system, file), value);
                }
            }
        }
    }

    /// <summary>Moves a process (and its future children) into the node's <c>system/</c> groups.</summary>
    public void Join(int pid)
    {
        foreach (string dir in SystemDirectories)
        {
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Every process in the node's subtree, in any hierarchy.</summary>
    public IReadOnlySet<int> Pids()
    {
        var pids = new HashSet<int>();
        foreach (string hierarchy in AllHierarchies())
        {
            string top = Path.Combine(hierarchy, Name);
            if (!Directory.Exists(top))
            {
                continue;
            }
            foreach (string dir in Subtree(top))
            {
                try
                {
                    foreach (string line in File.ReadLines(Path.Combine(dir, "cgroup.procs")))
                    {
                        if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                        {
                            _ = pids.Add(pid);
                        }
                    }
                }
                catch (IOException)
                {
                    // Removed while we read: its processes are gone.
                }
            }
        }
        return pids;
    }

    /// <summary>
    /// SIGKILLs every process of the node, frozen first so none can fork or restart a container
    /// between the reading of the list and the kill. Returns whether the subtree emptied in time.
    /// </summary>
    public bool KillAll(TimeSpan timeout)
    {
        string freezer = Path.Combine(Root, "freezer", Name, "freezer.state");
        bool frozen = SetFreezer(freezer, "FROZEN");
        if (frozen)
        {
            _ = Eventually.True(() => ReadFreezer(freezer) is "FROZEN" or null, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(20));
        }
        foreach (int pid in Pids())
        {
            _ = Signals.Send(pid, Signals.SigKill);
        }
        if (frozen)
        {
            _ = SetFreezer(freezer, "THAWED"); // the killed die as they thaw
        }
        return Eventually.True(() =>
        {
            IReadOnlySet<int> left = Pids();
            foreach (int pid in left)
            {
                _ = Signals.Send(pid, Signals.SigKill);
            }
            return left.Count == 0;
        }, timeout, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Removes the subtree from every hierarchy, deepest first; returns what could not be removed.</summary>
    public IReadOnlyList<string> Remove(TimeSpan timeout)
    {
        var left = new List<string>();
        foreach (string hierarchy in AllHierarchies())
        {
            string top = Path.Combine(hierarchy, Name);
            if (!Directory.Exists(top))
            {
                continue;
            }
            // A group is busy for a moment after its last process died.
            bool removed = Eventually.True(() =>
            {
                foreach (string dir in Enumerable.Reverse(Subtree(top)))
                {
                    try
                    {
                        Directory.Delete(dir, recursive: false);
                    }
                    catch (DirectoryNotFoundException)
                    {
                        // Already gone.
                    }
                    catch (IOException)
                    {
                        return false;
                    }
                }
                return !Directory.Exists(top);
            }, timeout, TimeSpan.FromMilliseconds(50));
            if (!removed)
            {
                left.Add(top);
            }
        }
        return left;
    }

    /// <summary>Names of the top-level groups, in any hierarchy, that <paramref name="match"/> accepts.</summary>
    public static IReadOnlySet<string> TopLevelNames(Func<string, bool> match)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string hierarchy in AllHierarchies())
        {
            foreach (string dir in Directory.EnumerateDirectories(hierarchy))
            {
                string name = Path.GetFileName(dir);
                if (match(name))
                {
                    _ = names.Add(name);
                }
            }
        }
        return names;
    }

    /// <summary>Mount points of the cgroup v1 hierarchies (the controllers and name=systemd).</summary>
    public static IReadOnlyList<string> V1Hierarchies() => Hierarchies(v1Only: true);

    /// <summary>Every cgroup hierarchy, the hybrid setup's cgroup2 <c>unified</c> included (runc may use it too).</summary>
    public static IReadOnlyList<string> AllHierarchies() => Hierarchies(v1Only: false);

    private static List<string> Hierarchies(bool v1Only)
    {
        var mounts = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent dev root mountpoint options [optional...] - fstype source superoptions
            string[] halves = line.Split(" - ", 2);
            if (halves.Length != 2)
            {
                continue;
            }
            string fsType = halves[1].Split(' ', 2)[0];
            string mountPoint = halves[0].Split(' ')[4];
            if ((fsType == "cgroup" || (!v1Only && fsType == "cgroup2")) && mountPoint.StartsWith(Root + "/", StringComparison.Ordinal))
            {
                mounts.Add(mountPoint);
            }
        }
        return mounts;
    }

    private static List<string> Subtree(string top)
    {
        var dirs = new List<string> { top };
        try
        {
            dirs.AddRange(Directory.EnumerateDirectories(top, "*", SearchOption.AllDirectories));
        }
        catch (IOException)
        {
            // Changed while we walked it; the caller tries again.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return dirs;
    }

    private static bool SetFreezer(string stateFile, string state)
    {
        try
        {
            File.WriteAllText(stateFile, state);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? ReadFreezer(string stateFile)
    {
        try
        {
            return File.ReadAllText(stateFile).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
