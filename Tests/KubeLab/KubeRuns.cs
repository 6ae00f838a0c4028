using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// Where runs keep their state: <c>$TMPDIR/weave-kube/&lt;run&gt;</c>, one directory per run, named
/// after the run (<see cref="RunName"/>), so its owner's pid tells a live run from a crashed one.
/// </summary>
internal static class KubeRuns
{
    public static string Root => Path.Combine(Path.GetTempPath(), "weave-kube");

    /// <summary>Where a run's logs are moved when <c>WEAVE_LAB_KEEP_LOGS=1</c>; leftover removal never touches it.</summary>
    public static string KeptLogsRoot => Path.Combine(Root, "logs");

    /// <summary>The run a namespace, cgroup or directory name belongs to (<c>wv12x3-node1</c> → <c>wv12x3</c>), or null.</summary>
    public static string? RunOf(string name) =>
        RunName.TryGetOwner(name, out _) ? name.Split('-', 2)[0] : null;

    /// <summary>
    /// True when the run's owner is gone. Names with this process's own pid are live once it has
    /// named a run (before that, the pid belonged to a dead process), as <see cref="Leftovers"/> decides.
    /// </summary>
    public static bool IsDead(string run) =>
        RunName.TryGetOwner(run, out int owner)
        && (owner == Environment.ProcessId ? !RunName.HasIssued : !Signals.IsAlive(owner));

    /// <summary>Run directories whose owner is alive, other than <paramref name="except"/>.</summary>
    public static IReadOnlyList<string> LiveRuns(string? except) =>
        !Directory.Exists(Root)
            ? []
            : [.. Directory.EnumerateDirectories(Root)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(name => RunOf(name) == name && name != except && !IsDead(name))];
}
