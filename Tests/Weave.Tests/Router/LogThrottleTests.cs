using Microsoft.Extensions.Time.Testing;
using Weave.Router;
using Xunit;

namespace Weave.Tests.Router;

public sealed class LogThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Storm_BurstLogged_RestCountedOncePerInterval()
    {
        var throttle = new LogThrottle(_time, TimeSpan.FromMinutes(1));
        int logged = Enumerable.Range(0, 1000).Count(_ => throttle.ShouldLog("refused", 5));
        Assert.Equal(5, logged);
        Assert.Empty(throttle.TakeSuppressed());

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([("refused", 995)], throttle.TakeSuppressed());

        // Still storming: the next interval logs only its summary.
        Assert.False(throttle.ShouldLog("refused", 5));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([("refused", 1)], throttle.TakeSuppressed());
    }

    [Fact]
    public void QuietAfterAnInterval_LoggedAgain_KindsApart()
    {
        var throttle = new LogThrottle(_time, TimeSpan.FromMinutes(1));
        Assert.True(throttle.ShouldLog("refused", 1));
        Assert.True(throttle.ShouldLog("closed", 1));
        Assert.False(throttle.ShouldLog("refused", 1));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([("refused", 1)], throttle.TakeSuppressed());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.ShouldLog("refused", 1));
    }
}
