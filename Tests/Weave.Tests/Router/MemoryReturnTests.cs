using Microsoft.Extensions.Time.Testing;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

public sealed class MemoryReturnTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void CollectsOnlyAfterManyConnectionChangesAndAPause_ThenStartsCountingAgain()
    {
        var memory = new MemoryReturn(_time);
        for (int i = 0; i < 49; i++)
        {
            memory.OnConnectionChange();
        }
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(memory.Tick());

        memory.OnConnectionChange();
        Assert.False(memory.Tick());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(memory.Tick());
        Assert.False(memory.Tick());
    }
}
