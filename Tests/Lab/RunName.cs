using System.Globalization;
using System.Text.RegularExpressions;

namespace Weave.Lab;

/// <summary>
/// Names of lab runs: <c>wv&lt;pid&gt;x&lt;n&gt;</c>, where pid is the process that owns the run. Every
/// namespace and temporary directory of a run starts with it, so a later run can tell a crashed
/// run's leftovers (owner dead) from a live run's (owner alive) and remove only the former.
/// </summary>
public static partial class RunName
{
    public const string Prefix = "wv";

    private static int s_counter;

    /// <summary>True once this process has named a run: before that, names with its pid belong to a dead process that had the same pid.</summary>
    public static bool HasIssued => Volatile.Read(ref s_counter) > 0;

    /// <summary>A fresh run name owned by this process.</summary>
    public static string Next() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}x{Interlocked.Increment(ref s_counter)}");

    /// <summary>A run name as a process with the given id would make it (for simulating a crashed run).</summary>
    public static string For(int ownerPid, int counter) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{ownerPid}x{counter}");

    /// <summary>Reads the owning process id out of a namespace or directory name made from a run name.</summary>
    public static bool TryGetOwner(string name, out int ownerPid)
    {
        Match match = OwnedName().Match(name);
        ownerPid = 0;
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ownerPid);
    }

    [GeneratedRegex(@"^wv([0-9]{1,9})x[0-9]+(-|$)")]
    private static partial Regex OwnedName();
}
