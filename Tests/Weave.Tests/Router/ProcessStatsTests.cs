using Weave.Router.Api;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>Process basics parsed from /proc/self/stat and /proc/stat.</summary>
public sealed class ProcessStatsTests
{
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice threads itrealvalue starttime vsize rss ...
    private const string SelfStat = "4242 (we ird) name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 12 0 12345 300000000 2560 18446744073709551615 0 0 0\n";
    private const string SystemStat = "cpu  1 2 3 4\nintr 5\nbtime 1764200000\nprocesses 99\n";

    [Fact]
    public void TryParse_ReadsCpuRssAndStart()
    {
        Assert.True(ProcessStats.TryParse(SelfStat, SystemStat, 4096, out ProcessStats? stats));

        Assert.Equal(new ProcessStats(2560.0 * 4096, 3.8, 1764200000 + 123.45), stats);
    }

    [Theory]
    [InlineData("4242 no parenthesis S 1")]
    [InlineData("4242 (weave) S 1 2 3")]
    [InlineData("4242 (weave) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 130 0 0 20 0 12 0 12345 300000000 2560 0")]
    [InlineData("")]
    public void TryParse_MalformedSelfStat_Fails(string selfStat)
    {
        Assert.False(ProcessStats.TryParse(selfStat, SystemStat, 4096, out ProcessStats? stats));
        Assert.Null(stats);
    }

    [Fact]
    public void TryParse_NoBootTime_Fails()
    {
        Assert.False(ProcessStats.TryParse(SelfStat, "cpu 1 2 3\n", 4096, out _));
    }

    [Fact]
    public void Read_ThisProcess_HasMemoryCpuAndARecentStart()
    {
        ProcessStats? stats = ProcessStats.Read();

        Assert.NotNull(stats);
        Assert.True(stats.ResidentBytes > 1_000_000, $"{stats}");
        Assert.True(stats.CpuSeconds > 0, $"{stats}");
        Assert.InRange(stats.StartTimeSeconds, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }
}
