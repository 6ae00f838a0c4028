using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>
/// The replay window against a naive model (every accepted counter in a set, and the highest):
/// a counter is fresh exactly when it was never accepted and is not more than
/// <see cref="ReplayWindow.Size"/> below the highest.
/// </summary>
public sealed class ReplayWindowProperties
{
    /// <summary>Counters near each other (so they collide, repeat and reorder) with occasional long jumps.</summary>
    private static Gen<ulong[]> Streams() =>
        Gen.Frequency(
            (6, Gen.Choose(0, 300).Select(x => (ulong)x)),
            (3, Gen.Choose(0, 9000).Select(x => (ulong)x)),
            (1, Gen.Choose(0, 200_000).Select(x => (ulong)x)))
        .ArrayOf();

    [Property(MaxTest = 500)]
    public Property Window_MatchesTheModel_ForAnySequence() =>
        Prop.ForAll(Streams().ToArbitrary(), counters =>
        {
            var window = new ReplayWindow();
            var seen = new HashSet<ulong>();
            ulong highest = 0;
            foreach (ulong counter in counters)
            {
                bool expected = !seen.Contains(counter) && (counter >= highest || highest - counter <= ReplayWindow.Size);
                if (window.IsFresh(counter) != expected)
                {
                    return false;
                }
                if (expected)
                {
                    window.Accept(counter);
                    seen.Add(counter);
                    highest = Math.Max(highest, counter);
                }
            }
            return true;
        });

    [Property(MaxTest = 300)]
    public Property Window_AcceptsEachCounterOnce_InAnyOrderWithinTheWindow() =>
        Prop.ForAll(Gen.Shuffle(Enumerable.Range(0, ReplayWindow.Size).Select(i => (ulong)i).ToArray()).ToArbitrary(), shuffled =>
        {
            var window = new ReplayWindow();
            foreach (ulong counter in shuffled)
            {
                if (!window.IsFresh(counter))
                {
                    return false;
                }
                window.Accept(counter);
            }
            return shuffled.All(c => !window.IsFresh(c));
        });

    [Property(MaxTest = 300)]
    public Property Window_CheckingAlone_ChangesNothing() =>
        Prop.ForAll(Streams().ToArbitrary(), counters =>
        {
            var window = new ReplayWindow();
            foreach (ulong counter in counters)
            {
                _ = window.IsFresh(counter);
            }
            // Nothing was accepted, so everything is still fresh.
            return counters.All(window.IsFresh);
        });

    [Fact]
    public void Window_IsAtLeast2048()
    {
        Assert.True(ReplayWindow.Size >= 2048);
        var window = new ReplayWindow();
        window.Accept(10_000);
        Assert.True(window.IsFresh(10_000 - ReplayWindow.Size));
        Assert.False(window.IsFresh(10_000 - ReplayWindow.Size - 1));
        Assert.True(window.IsTooOld(10_000 - ReplayWindow.Size - 1));
        Assert.False(window.IsFresh(10_000));
    }

    [Fact]
    public void Reset_ForgetsEverything()
    {
        var window = new ReplayWindow();
        window.Accept(0);
        window.Accept(5000);
        window.Reset();
        Assert.True(window.IsFresh(0));
        Assert.True(window.IsFresh(5000));
    }
}
