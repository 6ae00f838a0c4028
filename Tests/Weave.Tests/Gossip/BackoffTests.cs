using Weave.Gossip.Mesh;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class BackoffTests
{
    /// <summary>A <see cref="Random"/> whose every <see cref="Random.NextDouble"/> is the same.</summary>
    private sealed class FixedRandom(double value) : Random
    {
        protected override double Sample() => value;

        public override double NextDouble() => value;
    }

    private static double ExpectedInterval(int attempt) =>
        Math.Min(Backoff.Initial.TotalSeconds * Math.Pow(1.5, attempt), Backoff.Maximum.TotalSeconds);

    [Fact]
    public void Next_MidpointJitter_GrowsByHalfFrom2sTo6Min()
    {
        var backoff = new Backoff(new FixedRandom(0.5));
        double[] seconds = [.. Enumerable.Range(0, 16).Select(_ => backoff.Next().TotalSeconds)];
        Assert.Equal([2, 3, 4.5, 6.75, 10.125], seconds[..5].Select(s => Math.Round(s, 6)));
        for (int i = 1; i < seconds.Length; i++)
        {
            Assert.True(seconds[i] == 360 || Math.Abs(seconds[i] - (seconds[i - 1] * 1.5)) < 1e-3, $"attempt {i}: {seconds[i]} after {seconds[i - 1]}");
        }
        Assert.Equal(360, seconds[^1], precision: 6);
    }

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(0.999999, 1.499999)]
    public void Next_ExtremeJitter_StaysWithinHalfToThreeHalves(double sample, double factor)
    {
        var backoff = new Backoff(new FixedRandom(sample));
        for (int attempt = 0; attempt < 30; attempt++)
        {
            Assert.Equal(ExpectedInterval(attempt) * factor, backoff.Next().TotalSeconds, precision: 3);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(6783)]
    public void Next_SeededRandom_DelaysWithinJitterRangeOfInterval(int seed)
    {
        var backoff = new Backoff(new Random(seed));
        for (int attempt = 0; attempt < 40; attempt++)
        {
            double interval = ExpectedInterval(attempt);
            double delay = backoff.Next().TotalSeconds;
            Assert.InRange(delay, (interval / 2) - 1e-6, interval * 1.5);
            Assert.True(delay < interval * 1.5, $"attempt {attempt}: {delay} s is not below {interval * 1.5} s");
        }
    }

    [Fact]
    public void Next_AfterManyFailures_NeverExceedsNineMinutes()
    {
        var backoff = new Backoff(new Random(7));
        TimeSpan longest = TimeSpan.Zero;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            TimeSpan delay = backoff.Next();
            longest = delay > longest ? delay : longest;
        }
        Assert.True(longest < Backoff.Maximum * 1.5);
        Assert.True(longest >= Backoff.Maximum, "after 1000 attempts the cap should have been reached");
    }

    [Fact]
    public void Next_SameSeed_SameSequence()
    {
        var first = new Backoff(new Random(99));
        var second = new Backoff(new Random(99));
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(first.Next(), second.Next());
        }
    }

    [Fact]
    public void Reset_AfterGrowth_StartsAgainFromInitial()
    {
        var backoff = new Backoff(new FixedRandom(0.5));
        for (int i = 0; i < 10; i++)
        {
            backoff.Next();
        }
        backoff.Reset();
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Next());
        Assert.Equal(TimeSpan.FromSeconds(3), backoff.Next());
    }
}
