using System.Net;

namespace Weave.Router.Mesh;

/// <summary>
/// Limits how often one source address may start a handshake: a burst, then one per interval.
/// The accept limit (<see cref="TokenBucket"/>) bounds the total; this keeps one address from
/// taking all of it, so a flood from a few addresses leaves room for real peers elsewhere.
/// The table is bounded: when full, addresses whose bucket has refilled are forgotten (they are
/// as good as new), and if none has, the oldest entry goes.
/// </summary>
public sealed class SourceRateLimit(TimeProvider time, int burst, TimeSpan interval, int maxSources = 4096)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, Bucket> _sources = [];

    /// <summary>Source addresses remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sources.Count;
            }
        }
    }

    /// <summary>Takes a token for <paramref name="source"/>; false when it is over its rate.</summary>
    public bool TryTake(IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        long now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_sources.TryGetValue(source, out Bucket? bucket))
            {
                if (_sources.Count >= maxSources)
                {
                    Prune(now);
                }
                bucket = new Bucket { Tokens = burst, Last = now };
                _sources[source] = bucket;
            }
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (time.GetElapsedTime(bucket.Last, now) / interval));
            bucket.Last = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }
            bucket.Tokens -= 1;
            return true;
        }
    }

    private void Prune(long now)
    {
        TimeSpan refill = interval * burst;
        List<IPAddress> full = [.. _sources.Where(s => time.GetElapsedTime(s.Value.Last, now) >= refill).Select(s => s.Key)];
        if (full.Count == 0)
        {
            full.Add(_sources.MinBy(s => s.Value.Last).Key);
        }
        foreach (IPAddress address in full)
        {
            _sources.Remove(address);
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }
        public long Last { get; set; }
    }
}
