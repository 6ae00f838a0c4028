using System.Diagnostics;
using System.Globalization;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Probes one cell again and again, <see cref="Batch"/> new connections at a time, until stopped,
/// and keeps every probe whose outcome was not <see cref="Expected"/> with the time it happened:
/// a pair that every state allows must never fail, one that every state denies never get through.
/// </summary>
internal sealed class ContinuousProbe(ProbeCase probe, bool expected, TimeSpan timeout) : IAsyncDisposable
{
    private const int Batch = 4;

    private const int KeptLines = 10;

    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _unexpected = [];
    private Task? _loop;
    private bool _disposed;

    public ProbeCase Probe => probe;

    public bool Expected => expected;

    public int Probes { get; private set; }

    public int UnexpectedCount { get; private set; }

    /// <summary>The first <see cref="KeptLines"/> probes that came out otherwise, with their time since the start.</summary>
    public IReadOnlyList<string> Unexpected => _unexpected;

    public void Start() => _loop = RunAsync();

    /// <summary>Stops the loop and waits for it; idempotent, so the counts can be read before the end of a <c>using</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        ProbeCase[] batch = [.. Enumerable.Repeat(probe, Batch)];
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan at = _clock.Elapsed;
            bool[] outcomes = await Prober.RunAsync(batch, timeout);
            Probes += outcomes.Length;
            foreach (bool outcome in outcomes.Where(o => o != expected))
            {
                UnexpectedCount++;
                if (_unexpected.Count >= KeptLines)
                {
                    continue;
                }
                _unexpected.Add(string.Create(CultureInfo.InvariantCulture, $"at {at.TotalSeconds:F1} s {probe}: {(outcome ? "allowed" : "denied")}"));
            }
            // An allowed probe returns at once: pace the loop so it does not take a core.
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
