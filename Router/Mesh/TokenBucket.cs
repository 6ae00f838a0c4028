namespace Weave.Router.Mesh;

/// <summary>
/// Limits how fast we accept connections, as Weave did (a burst of 20, then one per 50 ms), so a
/// reconnect storm or a flood of bogus peers costs handshakes at a bounded rate.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _refill;
    private double _tokens;
    private long _last;

    public TokenBucket(TimeProvider time, int capacity, TimeSpan refillInterval)
    {
        _time = time;
        _capacity = capacity;
        _refill = refillInterval;
        _tokens = capacity;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes a token, or says how long until one is available.</summary>
    public TimeSpan Take()
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_last, now) / _refill));
        _last = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return TimeSpan.Zero;
        }
        return _refill * (1 - _tokens);
    }
}
