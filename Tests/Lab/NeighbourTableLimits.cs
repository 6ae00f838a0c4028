using System.Globalization;

namespace Weave.Lab;

/// <summary>
/// The kernel's IPv4 neighbour (ARP) table limits, raised while a large lab runs. Every network
/// namespace's entries count against one machine-wide table whose limits
/// (<c>net.ipv4.neigh.default.gc_thresh1..3</c>, by default 128 / 512 / 1,024) only the root
/// namespace sets: N lab hosts on one underlay hold up to N × (N − 1) entries, so at 100 hosts
/// (9,900) the kernel refuses new ones ("neighbor table overflow") and connections time out.
/// <para>
/// Several labs may run at once (other test processes), so the raise is shared: each lab that
/// needs it leaves a holder file in <see cref="StateDirectory"/>, the first one saves the values
/// it found, and the last one to leave (or the first to find only dead holders: a crashed run)
/// writes them back. Values are only ever raised, never lowered, while anyone holds them.
/// </para>
/// </summary>
public sealed class NeighbourTableLimits : IDisposable
{
    /// <summary>Where the saved values and the holders live; /run is emptied at boot, as the kernel's values are.</summary>
    public const string StateDirectory = "/run/weave-lab/neigh";

    private const string SysctlDirectory = "/proc/sys/net/ipv4/neigh/default";
    private static readonly string[] s_names = ["gc_thresh1", "gc_thresh2", "gc_thresh3"];

    private readonly string _holder;
    private readonly Action<string>? _log;
    private bool _released;

    private NeighbourTableLimits(string holder, Action<string>? log)
    {
        _holder = holder;
        _log = log;
    }

    /// <summary>
    /// Entries a lab of <paramref name="hostCount"/> hosts may need: every host's underlay
    /// neighbours, and as many again for the overlay (pods, exposed bridges).
    /// </summary>
    public static long EntriesNeeded(int hostCount) => 2L * hostCount * hostCount;

    /// <summary>
    /// Raises the limits when <paramref name="entries"/> exceed the soft limit gc_thresh2: to that
    /// (gc_thresh3, the hard limit, to twice that, gc_thresh1 to half), and returns the hold to
    /// dispose at the end; returns null when the current limits suffice and nobody holds a raise.
    /// </summary>
    public static NeighbourTableLimits? Raise(long entries, string runName, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(entries);
        using FileStream gate = Lock();
        long[] current = Read();
        // Within the soft limit the defaults serve (labs of up to 16 hosts change nothing).
        bool raise = entries > current[1];
        long[] wanted = raise ? [Math.Max(current[0], entries / 2), entries, Math.Max(current[2], entries * 2)] : current;
        string original = Path.Combine(StateDirectory, "original");
        if (!raise && !File.Exists(original))
        {
            return null;
        }
        if (!File.Exists(original))
        {
            File.WriteAllText(original, string.Join(' ', current.Select(v => v.ToString(CultureInfo.InvariantCulture))));
        }
        string holder = Path.Combine(StateDirectory, $"holder-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{runName}");
        File.WriteAllText(holder, "");
        if (raise)
        {
            Write(wanted);
            log?.Invoke($"neighbour table limits raised for {entries} entries: gc_thresh1..3 {Describe(current)} -> {Describe(wanted)}");
        }
        return new NeighbourTableLimits(holder, log);
    }

    /// <summary>Gives up this lab's hold; the last holder restores the values saved by the first. Never throws.</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        try
        {
            using FileStream gate = Lock();
            File.Delete(_holder);
            RestoreIfUnheld(_log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            _log?.Invoke($"restoring the neighbour table limits: {e.Message}");
        }
    }

    /// <summary>Restores the saved limits when every holder is gone (crashed runs' holders included). Never throws.</summary>
    public static void RemoveLeftovers(Action<string>? log = null)
    {
        if (!Directory.Exists(StateDirectory))
        {
            return;
        }
        try
        {
            using FileStream gate = Lock();
            RestoreIfUnheld(log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            log?.Invoke($"restoring the neighbour table limits: {e.Message}");
        }
    }

    private static void RestoreIfUnheld(Action<string>? log)
    {
        foreach (string holder in Directory.GetFiles(StateDirectory, "holder-*"))
        {
            string[] parts = Path.GetFileName(holder).Split('-', 3);
            if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && Signals.IsAlive(pid))
            {
                return;
            }
            File.Delete(holder);
        }
        string original = Path.Combine(StateDirectory, "original");
        if (!File.Exists(original))
        {
            return;
        }
        long[] saved = [.. File.ReadAllText(original).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture))];
        if (saved.Length != s_names.Length)
        {
            throw new FormatException($"{original}: expected {s_names.Length} values, found {saved.Length}");
        }
        Write(saved);
        File.Delete(original);
        log?.Invoke($"neighbour table limits restored: gc_thresh1..3 {Describe(saved)}");
    }

    /// <summary>An exclusive lock on a file, held by the kernel (flock) until disposed or the process dies.</summary>
    private static FileStream Lock()
    {
        Directory.CreateDirectory(StateDirectory);
        string path = Path.Combine(StateDirectory, "lock");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static long[] Read() =>
        [.. s_names.Select(n => long.Parse(File.ReadAllText(Path.Combine(SysctlDirectory, n)).Trim(), CultureInfo.InvariantCulture))];

    /// <summary>Writes gc_thresh3 first when raising and last when lowering, so thresh1 ≤ thresh2 ≤ thresh3 holds throughout.</summary>
    private static void Write(long[] values)
    {
        long[] current = Read();
        int[] order = values[2] >= current[2] ? [2, 1, 0] : [0, 1, 2];
        foreach (int i in order)
        {
            File.WriteAllText(Path.Combine(SysctlDirectory, s_names[i]), values[i].ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string Describe(long[] values) => string.Join(" / ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
