using System.Text;
using Weave.Kube.Api;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class BoundedLineReaderTests
{
    /// <summary>A stream that hands out its bytes a few at a time, as a slow network does.</summary>
    private sealed class Trickle(byte[] bytes, int step) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(step, buffer.Length)], ct);
    }

    private static async Task<List<string>> ReadAll(Stream stream, int max)
    {
        using var reader = new BoundedLineReader(stream, max);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines.Add(Encoding.UTF8.GetString(line.Span));
        }
        return lines;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public async Task ReadLine_LinesSplitAcrossReads_ComeBackWhole(int step)
    {
        string text = "first\nsecond line\n\n" + new string('x', 200_000) + "\nlast without newline";
        List<string> lines = await ReadAll(new Trickle(Encoding.UTF8.GetBytes(text), step), 1 << 20);
        Assert.Equal(["first", "second line", "", new string('x', 200_000), "last without newline"], lines);
    }

    [Fact]
    public async Task ReadLine_LongerThanTheBound_Throws()
    {
        byte[] endless = Encoding.UTF8.GetBytes(new string('x', 300_000));
        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAll(new Trickle(endless, 4096), 100_000));
        Assert.Contains("100000", e.Message, StringComparison.Ordinal);
    }
}
