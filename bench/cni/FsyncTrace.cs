using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Weave.Bench.Cni;

/// <summary>
/// <c>perf trace</c> on the router's process for fsync(2) and fdatasync(2): how many the router
/// made while it ran and how long each took. perf reads the kernel's syscall tracepoints, so
/// unlike strace it does not stop the router at every system call.
/// </summary>
internal sealed partial class FsyncTrace
{
    public sealed record Summary(int Count, double TotalMs, double P50Ms, double MaxMs);

    private readonly Process _perf;
    private readonly string _output;

    private FsyncTrace(Process perf, string output)
    {
        _perf = perf;
        _output = output;
    }

    /// <summary>Starts tracing <paramref name="pid"/>; null when perf is missing or cannot trace.</summary>
    public static FsyncTrace? Start(int pid, string output)
    {
        try
        {
            var start = new ProcessStartInfo("perf", ["trace", "-e", "fsync,fdatasync", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", output])
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            Process perf = Process.Start(start)!;
            // perf needs a moment to attach before the first call it should see.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            if (perf.HasExited)
            {
                Console.Error.WriteLine($"cni: perf trace exited at once ({perf.StandardError.ReadToEnd().Trim()}): no fsync figures");
                return null;
            }
            return new FsyncTrace(perf, output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Stops perf (SIGINT, so it flushes its output) and sums what it saw.</summary>
    public Summary Stop()
    {
        using (Process kill = Process.Start("kill", ["-INT", _perf.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        if (!_perf.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _perf.Kill();
        }
        _perf.Dispose();
        double[] times = [.. File.ReadLines(_output)
            .Select(line => Duration().Match(line))
            .Where(match => match.Success)
            .Select(match => double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Order()];
        return times.Length == 0
            ? new Summary(0, 0, 0, 0)
            : new Summary(times.Length, times.Sum(), times[(times.Length - 1) / 2], times[^1]);
    }

    // perf trace's line for a finished call: " 0.000 ( 7.524 ms): weave/1234 fsync(fd: 3) = 0".
    [GeneratedRegex(@"\(\s*([0-9.]+) ms\):.*\b(?:fsync|fdatasync)\(")]
    private static partial Regex Duration();
}
