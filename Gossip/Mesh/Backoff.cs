namespace Weave.Gossip.Mesh;

/// <summary>
/// Retry delays for a failing connection target, as Weave's connection maker did: a random delay
/// in [i/2, 3i/2) (jitter keeps a restarted mesh from reconnecting in lockstep), then i grows by
/// half, from 2 s up to 6 min. A connection that stayed up long enough resets it.
/// </summary>
public sealed class Backoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Maximum = TimeSpan.FromMinutes(6);

    /// <summary>A connection that lived this long was healthy: start over from <see cref="Initial"/>.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    private readonly Random _random;
    private readonly TimeSpan _initial;
    private readonly TimeSpan _maximum;
    private TimeSpan _interval;

    public Backoff(Random random) : this(random, Initial, Maximum)
    {
    }

    public Backoff(Random random, TimeSpan initial, TimeSpan maximum)
    {
        _random = random;
        _initial = initial;
        _maximum = maximum;
        _interval = initial;
    }

    public TimeSpan Next()
    {
        TimeSpan delay = _interval * (0.5 + _random.NextDouble());
        _interval = TimeSpan.FromTicks(Math.Min((long)(_interval.Ticks * 1.5), _maximum.Ticks));
        return delay;
    }

    public void Reset() => _interval = _initial;
}
