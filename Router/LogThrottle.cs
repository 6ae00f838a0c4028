namespace Weave.Router;

/// <summary>
/// Keeps an event that may repeat without end (a connection refused, a handshake failed, a
/// connection come and gone) to a few log lines per kind and interval: the first
/// <c>burst</c> of an interval are logged, the rest counted, and each count is reported once its
/// interval is over (<see cref="TakeSuppressed"/>). A router at peace never reaches the burst.
/// Kinds are the caller's few fixed strings, so the table stays small whatever the sources.
/// Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public TimeSpan Interval => interval;

    /// <summary>Whether this occurrence of <paramref name="kind"/> is logged; if not, it is counted.</summary>
    public bool ShouldLog(string kind, int burst)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_windows.TryGetValue(kind, out Window? window) || (now - window.Started >= interval && window.Suppressed == 0))
            {
                window = new Window { Started = now };
                _windows[kind] = window;
            }
            if (window.Logged < burst)
            {
                window.Logged++;
                return true;
            }
            window.Suppressed++;
            return false;
        }
    }

    /// <summary>
    /// Kinds whose interval is over with occurrences not logged, each with its count; their
    /// windows start over. Called now and then (each turn of the mesh loop).
    /// </summary>
    public List<(string Kind, int Count)> TakeSuppressed()
    {
        DateTimeOffset now = time.GetUtcNow();
        var due = new List<(string, int)>();
        lock (_gate)
        {
            foreach (var (kind, window) in _windows)
            {
                if (window.Suppressed > 0 && now - window.Started >= interval)
                {
                    due.Add((kind, window.Suppressed));
                    // What follows a storm is still the storm: the next interval starts with its summary only.
                    window.Started = now;
                    window.Suppressed = 0;
                    window.Logged = int.MaxValue;
                }
            }
        }
        return due;
    }

    private sealed class Window
    {
        public DateTimeOffset Started { get; set; }
        public int Logged { get; set; }
        public int Suppressed { get; set; }
    }
}
