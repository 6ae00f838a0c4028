using System.Globalization;

namespace Weave.Bench.Cni;

/// <summary>The durations of each traced step over many runs of one command, steps in the order
/// first seen (a step missing from some runs, e.g. a second router request, counts only where
/// it happened).</summary>
internal sealed class StepTimes
{
    public const string Whole = "(whole run)";

    private readonly Dictionary<string, List<double>> _times = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public IReadOnlyList<string> Steps => _order;

    public void Add(Run run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Record(Whole, run.Ms);
        foreach ((string step, double ms) in run.Steps())
        {
            if (!_order.Contains(step))
            {
                _order.Add(step);
            }
            Record(step, ms);
        }
    }

    /// <summary>The step's p<paramref name="percentile"/> (its mean for 0) in ms, or "-".</summary>
    public string Cell(string step, int percentile)
    {
        if (!_times.TryGetValue(step, out List<double>? times))
        {
            return "-";
        }
        double value = percentile == 0 ? times.Average() : Percentile(times, percentile);
        return value.ToString("F2", CultureInfo.InvariantCulture) + " ms";
    }

    private void Record(string step, double ms)
    {
        if (!_times.TryGetValue(step, out List<double>? times))
        {
            _times[step] = times = [];
        }
        times.Add(ms);
    }

    private static double Percentile(List<double> values, int percentile)
    {
        double[] sorted = [.. values.Order()];
        int index = (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
