using System.Diagnostics;
using Xunit;

namespace Weave.Tests.Gossip.Topology;

/// <summary>
/// Timing tests run alone, after the parallel ones, so other tests do not skew them. They measure
/// this process's CPU time (best of several runs), not wall time: the box is shared with other
/// builds and benchmarks, which stretch wall time without telling us anything about our code.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingGroup
{
    public const string Name = "Topology timing";

    /// <summary>The least CPU time one call of <paramref name="action"/> took over <paramref name="runs"/> runs.</summary>
    public static TimeSpan BestCpuTime(int runs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        TimeSpan best = TimeSpan.MaxValue;
        using var process = Process.GetCurrentProcess();
        for (int run = 0; run < runs; run++)
        {
            GC.Collect(); // measure the work, not the collection of the previous run's garbage
            process.Refresh();
            TimeSpan before = process.TotalProcessorTime;
            action();
            process.Refresh();
            TimeSpan spent = process.TotalProcessorTime - before;
            best = spent < best ? spent : best;
        }
        return best;
    }
}
