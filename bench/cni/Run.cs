using System.Globalization;

namespace Weave.Bench.Cni;

/// <summary>One plugin run: when it was spawned and seen to exit (<see cref="System.Diagnostics.Stopwatch"/>
/// timestamps) and its stderr, which holds weave-net's trace lines when it was asked for them.</summary>
internal sealed record Run(long Spawned, long Exited, string Stderr)
{
    private const string TracePrefix = "weave-net trace: ";

    public double Ms => Milliseconds(Exited - Spawned);

    /// <summary>The run cut into steps, in order: from the spawn to the plugin's first mark
    /// ("process started"), from each mark to the next (named by the later one), and from the last
    /// mark to the exit ("exit"). Empty when the plugin printed no trace.</summary>
    public List<(string Step, double Ms)> Steps()
    {
        var steps = new List<(string, double)>();
        long previous = Spawned;
        foreach (string line in Stderr.Split('\n'))
        {
            if (!line.StartsWith(TracePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            string[] parts = line[TracePrefix.Length..].TrimEnd('\r').Split(' ', 2);
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long timestamp))
            {
                steps.Add((parts[1], Milliseconds(timestamp - previous)));
                previous = timestamp;
            }
        }
        if (steps.Count > 0)
        {
            steps.Add(("exit", Milliseconds(Exited - previous)));
        }
        return steps;
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
