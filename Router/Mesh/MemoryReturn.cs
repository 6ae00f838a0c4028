namespace Weave.Router.Mesh;

/// <summary>
/// Gives memory back to the system after many connections came or went, once they have stopped:
/// forming a full mesh, a storm, or a crowd of made-up peers leaves buffers the GC has freed but
/// keeps committed, and an idle router would hold them for good (it allocates too little to
/// trigger another full collection). An aggressive collection decommits what is free; it costs
/// milliseconds and runs only after such churn. Owned by the mesh loop.
/// </summary>
internal sealed class MemoryReturn(TimeProvider time)
{
    /// <summary>Connections made or closed since the last collection that make one worth it.</summary>
    private const int Churn = 50;

    /// <summary>How long connections must have stopped coming and going: the storm is over.</summary>
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(2);

    private int _changes;
    private long _lastChange;

    /// <summary>A connection was made or closed.</summary>
    public void OnConnectionChange()
    {
        _changes++;
        _lastChange = time.GetTimestamp();
    }

    /// <summary>Collects when enough connections came or went and none for a moment; true when it did.</summary>
    public bool Tick()
    {
        if (_changes < Churn || time.GetElapsedTime(_lastChange) < s_quiet)
        {
            return false;
        }
        _changes = 0;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return true;
    }
}
