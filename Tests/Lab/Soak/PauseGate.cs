namespace Weave.Lab.Soak;

/// <summary>
/// Lets the soak's clients run, or holds them so a check sees no request in flight: a client
/// counts itself in before it looks at the flag (both interlocked, so neither side can miss the
/// other), and the checker waits for the count to drain.
/// </summary>
internal sealed class PauseGate
{
    private int _inFlight;
    private int _paused;

    public bool TryEnter()
    {
        _ = Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _paused) == 0)
        {
            return true;
        }
        Exit();
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    public async Task PauseAsync()
    {
        _ = Interlocked.Exchange(ref _paused, 1);
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await Task.Delay(10);
        }
    }

    public void Resume() => Interlocked.Exchange(ref _paused, 0);
}
