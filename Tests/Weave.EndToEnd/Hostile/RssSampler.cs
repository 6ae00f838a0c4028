using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Weave.EndToEnd.Hostile;

/// <summary>
/// Samples a process's resident set size (<c>VmRSS</c> of <c>/proc/PID/status</c>) twice a
/// second on a thread of its own, with the phase the test is in, so a test can print the curve
/// and check its highest and latest values.
/// </summary>
internal sealed class RssSampler : IDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(500);

    private readonly int _pid;
    private readonly Lock _gate = new();
    private readonly List<Sample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private string _phase = "start";

    public RssSampler(int pid)
    {
        _pid = pid;
        _thread = new Thread(Run) { IsBackground = true, Name = $"rss {pid}" };
        _thread.Start();
    }

    public sealed record Sample(TimeSpan At, string Phase, long Kilobytes);

    /// <summary>Labels the samples from now on.</summary>
    public string Phase
    {
        get { lock (_gate) { return _phase; } }
        set { lock (_gate) { _phase = value; } }
    }

    /// <summary>The RSS now, in kB (read on the spot); 0 when the process is gone.</summary>
    public long Current() => Read(_pid);

    /// <summary>The highest sample of a phase (every phase when null), in kB.</summary>
    public long Peak(string? phase = null)
    {
        lock (_gate)
        {
            return _samples.Where(s => phase is null || s.Phase == phase).Select(s => s.Kilobytes).DefaultIfEmpty(0).Max();
        }
    }

    /// <summary>One line per phase (samples, peak, last) and the curve at most every <paramref name="every"/>.</summary>
    public string Describe(TimeSpan every)
    {
        Sample[] samples;
        lock (_gate)
        {
            samples = [.. _samples];
        }
        var text = new StringBuilder();
        foreach (IGrouping<string, Sample> phase in samples.GroupBy(s => s.Phase))
        {
            text.Append(CultureInfo.InvariantCulture, $"{phase.Key}: {phase.Count()} samples, peak {Mb(phase.Max(s => s.Kilobytes))}, last {Mb(phase.Last().Kilobytes)}\n");
        }
        TimeSpan next = TimeSpan.Zero;
        foreach (Sample sample in samples)
        {
            if (sample.At >= next)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {sample.At.TotalSeconds,6:0.0} s  {Mb(sample.Kilobytes),9}  {sample.Phase}\n");
                next = sample.At + every;
            }
        }
        return text.ToString();
    }

    public static string Mb(long kilobytes) => (kilobytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            long kilobytes = Read(_pid);
            lock (_gate)
            {
                _samples.Add(new Sample(_clock.Elapsed, _phase, kilobytes));
            }
            _stop.Token.WaitHandle.WaitOne(s_interval);
        }
    }

    private static long Read(int pid) => Weave.Lab.Soak.ProcessSample.ResidentKilobytes(pid) ?? 0;
}
