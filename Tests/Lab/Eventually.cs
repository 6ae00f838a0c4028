using System.Diagnostics;

namespace Weave.Lab;

/// <summary>Polls a condition until it holds or a deadline passes: routers need a moment to connect.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>True as soon as the condition holds; false if it still does not hold after <paramref name="within"/>.</summary>
    public static bool True(Func<bool> condition, TimeSpan within, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }
            if (clock.Elapsed >= within)
            {
                return false;
            }
            Thread.Sleep(interval ?? DefaultInterval);
        }
    }
}
