using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

public sealed class SourceRateLimitTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void OneSource_BurstThenOnePerInterval_OthersUnaffected()
    {
        var limit = new SourceRateLimit(_time, burst: 10, TimeSpan.FromSeconds(2));
        var attacker = IPAddress.Parse("192.0.2.66");
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => limit.TryTake(attacker)));
        Assert.True(limit.TryTake(IPAddress.Parse("192.0.2.2")));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(limit.TryTake(attacker));
        Assert.False(limit.TryTake(attacker));
    }

    [Fact]
    public void ManySources_TableBounded_RefilledOnesForgotten()
    {
        var limit = new SourceRateLimit(_time, burst: 2, TimeSpan.FromSeconds(1), maxSources: 16);
        for (int i = 0; i < 1000; i++)
        {
            var source = new IPAddress(BitConverter.GetBytes(0x0a000000 + i));
            Assert.True(limit.TryTake(source));
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.InRange(limit.Count, 1, 16);
    }
}
