namespace Weave.Router.Mesh;

/// <summary>
/// Gives memory back to the system after many connections went, once they have stopped going: a
/// storm or a crowd of made-up peers leaves buffers the GC has freed but keeps committed, and an
/// idle router would hold them for good (it allocates too little to trigger another full
/// collection). An aggressive collection decommits what is free; it costs milliseconds and runs
/// only after such churn. Owned by the mesh loop.
/// </summary>
internal sealed class MemoryReturn(TimeProvider time)
{
    /// <summary>Connections closed since the last collection that make one worth it.</summary>
    private const int Churn = 50;

    /// <summary>How long closes must have paused: the storm is over.</summary>
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(2);

    private int _closed;
    private long _lastClose;

    public void OnConnectionClosed()
    {
        _closed++;
        _lastClose = time.GetTimestamp();
    }

    /// <summary>Collects when enough connections went and none for a moment; true when it did.</summary>
    public bool Tick()
    {
        if (_closed < Churn || time.GetElapsedTime(_lastClose) < s_quiet)
        {
            return false;
        }
        _closed = 0;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return true;
    }
}
