using System.Diagnostics;

namespace Weave.Linux;

/// <summary>What is left of a call's timeout for the next poll, so a call that wakes without data
/// (EINTR, a datagram it drops) waits only for the rest of its time.</summary>
internal static class PollTimeout
{
    /// <summary>-1 (forever) when <paramref name="timeoutMilliseconds"/> is negative; 0 when the
    /// time is up; else at least 1, rounded up so that a poll never returns just before the end.</summary>
    public static int RemainingMilliseconds(long startTimestamp, int timeoutMilliseconds)
    {
        if (timeoutMilliseconds < 0)
        {
            return -1;
        }
        double elapsed = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        return elapsed >= timeoutMilliseconds ? 0 : Math.Max(1, (int)Math.Ceiling(timeoutMilliseconds - elapsed));
    }
}
