using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Weave.Lab.Soak;

/// <summary>
/// Real routers (out/weave) on lab hosts, one IPAM ring (<c>--ipalloc-init consensus=N</c>, every
/// router given every other host as a peer), clients allocating and freeing over each router's
/// HTTP API as the CNI plugin does, and faults at random: see <see cref="SoakOptions"/>. The
/// ledger of acknowledged requests is checked against the routers at every check and once more
/// after the last heal; the first router's memory and open files are sampled at each check.
/// Disposing removes the lab.
/// </summary>
public sealed partial class SoakRun : IDisposable
{
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(60);

    private readonly SoakOptions _options;
    private readonly Action<string> _log;
    private readonly NetLab _lab;
    private readonly LabProcess?[] _routers;
    private readonly RouterApi[] _apis;
    private readonly AllocationLedger _ledger = new();
    private readonly PauseGate _gate = new();
    private readonly SoakReport _report;
    private readonly Random _faults;
    private readonly List<string> _faultsSinceRow = [];
    private int _answered;
    private int _unanswered;
    private long _allocations;
    private long _frees;
    private long _unansweredTotal;
    private int? _killed;
    private (int A, int B)? _cut;

    private SoakRun(SoakOptions options, Action<string> log, Action<string>? labLog)
    {
        _options = options;
        _log = log;
        _report = new SoakReport(options);
        _faults = new Random(options.Seed);
        _lab = NetLab.Create(options.Routers, labLog);
        _routers = new LabProcess?[options.Routers];
        _apis = [.. _lab.Hosts.Select(h => new RouterApi(h))];
    }

    private IReadOnlyList<LabHost> Hosts => _lab.Hosts;

    /// <summary>
    /// Runs a whole soak and returns its report; throws only when the cluster cannot start.
    /// <paramref name="log"/> gets the soak's own lines, <paramref name="labLog"/> (if any) every
    /// line of the lab and its routers.
    /// </summary>
    public static async Task<SoakReport> RunAsync(SoakOptions options, Action<string> log, Action<string>? labLog = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }
        using var run = new SoakRun(options, log, labLog);
        await run.RunAsync();
        return run._report;
    }

    private async Task RunAsync()
    {
        for (int i = 0; i < Hosts.Count; i++)
        {
            StartRouter(i);
        }
        for (int i = 0; i < Hosts.Count; i++)
        {
            await FirstAllocationAsync(i);
        }
        _log($"soak: {Hosts.Count} routers allocating, run {_lab.RunName}, logs in {_lab.TempDirectory}");
        using var stop = new CancellationTokenSource();
        Task[] clients = [.. Enumerable.Range(0, Hosts.Count).Select(i => Task.Run(() => ClientAsync(i, stop.Token)))];
        var clock = Stopwatch.StartNew();
        TimeSpan nextFault = _options.FaultEvery;
        TimeSpan nextCheck = _options.CheckEvery;
        while (clock.Elapsed < _options.Duration)
        {
            await Task.Delay(250);
            if (clock.Elapsed >= nextFault)
            {
                StepFault();
                nextFault += _options.FaultEvery;
            }
            if (clock.Elapsed >= nextCheck)
            {
                await CheckAsync(clock.Elapsed);
                nextCheck += _options.CheckEvery;
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        (_report.Allocations, _report.Frees, _report.Unanswered) = (_allocations, _frees, _unansweredTotal);
        EndFault();
        await FinalCheckAsync(clock.Elapsed);
    }

    private void StartRouter(int index)
    {
        var args = new List<string> { "--ipalloc-init", string.Create(CultureInfo.InvariantCulture, $"consensus={Hosts.Count}") };
        args.AddRange(Hosts.Where(h => h.Index != Hosts[index].Index).Select(h => h.UnderlayAddress.ToString()));
        _routers[index] = Hosts[index].StartRouter([.. args]);
    }

    private async Task FirstAllocationAsync(int index)
    {
        string id = Id(index, 0);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            RouterApi.Reply reply = await _apis[index].SendAsync(HttpMethod.Post, "/ip/" + id);
            if (reply.Ok)
            {
                _ledger.Allocated(index, id, Address(reply.Body));
                return;
            }
            if (clock.Elapsed > StartWithin)
            {
                throw new InvalidOperationException($"{Hosts[index].Name}: no address within {StartWithin.TotalSeconds} s: {reply}\n{_routers[index]?.Output}");
            }
            await Task.Delay(200);
        }
    }

    private async Task ClientAsync(int index, CancellationToken stop)
    {
        var random = new Random(_options.Seed * 1000 + index);
        var interval = TimeSpan.FromSeconds(1.0 / _options.OperationsPerSecond);
        int next = 1;
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(interval, CancellationToken.None);
            if (!_gate.TryEnter())
            {
                continue;
            }
            try
            {
                string[] held = _ledger.HeldBy(index);
                bool allocate = held.Length == 0 || random.Next(10) < (held.Length < _options.HeldPerRouter ? 7 : 3);
                if (allocate)
                {
                    string id = Id(index, next++);
                    RouterApi.Reply reply = await _apis[index].SendAsync(HttpMethod.Post, "/ip/" + id);
                    if (reply.Ok)
                    {
                        _ledger.Allocated(index, id, Address(reply.Body));
                        _ = Interlocked.Increment(ref _allocations);
                    }
                    else
                    {
                        _ledger.AllocationUnanswered(index, id);
                    }
                    Count(reply);
                }
                else
                {
                    string id = held[random.Next(held.Length)];
                    RouterApi.Reply reply = await _apis[index].SendAsync(HttpMethod.Delete, "/ip/" + id);
                    if (reply.Ok)
                    {
                        _ledger.Freed(id);
                        _ = Interlocked.Increment(ref _frees);
                    }
                    else
                    {
                        _ledger.FreeUnanswered(id);
                    }
                    Count(reply);
                }
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    private void Count(RouterApi.Reply reply)
    {
        if (reply.Ok)
        {
            _ = Interlocked.Increment(ref _answered);
        }
        else
        {
            _ = Interlocked.Increment(ref _unanswered);
            _ = Interlocked.Increment(ref _unansweredTotal);
        }
    }

    /// <summary>Ends the fault that is on, or starts one: faults are on about half of the time.</summary>
    private void StepFault()
    {
        if (_killed is not null || _cut is not null)
        {
            EndFault();
            return;
        }
        if (_faults.Next(2) == 0)
        {
            int victim = 1 + _faults.Next(Hosts.Count - 1);
            _routers[victim]?.Kill();
            _killed = victim;
            _report.Kills++;
            Fault($"kill {Hosts[victim].Name}");
        }
        else
        {
            int a = _faults.Next(Hosts.Count);
            int b = (a + 1 + _faults.Next(Hosts.Count - 1)) % Hosts.Count;
            LinkCut.Cut(Hosts[a], Hosts[b]);
            _cut = (a, b);
            _report.Cuts++;
            Fault($"cut {Hosts[a].Name}–{Hosts[b].Name}");
        }
    }

    private void EndFault()
    {
        if (_killed is int victim)
        {
            StartRouter(victim);
            _killed = null;
            Fault($"restart {Hosts[victim].Name}");
        }
        if (_cut is (int a, int b))
        {
            LinkCut.Heal(Hosts[a]);
            _cut = null;
            Fault($"heal {Hosts[a].Name}–{Hosts[b].Name}");
        }
    }

    private void Fault(string what)
    {
        _faultsSinceRow.Add(what);
        _log("soak: " + what);
    }

    private async Task CheckAsync(TimeSpan elapsed)
    {
        await _gate.PauseAsync();
        try
        {
            Dictionary<int, Dictionary<string, string>> observed = await ObserveAsync();
            List<string> violations = _ledger.Check(observed);
            Record(elapsed, violations, observed.Count);
        }
        finally
        {
            _gate.Resume();
        }
    }

    /// <summary>After the last heal: every router up and answering, their rings agreeing, then one more check.</summary>
    private async Task FinalCheckAsync(TimeSpan elapsed)
    {
        var clock = Stopwatch.StartNew();
        Dictionary<int, Dictionary<string, string>> observed = [];
        while (clock.Elapsed < StartWithin)
        {
            observed = await ObserveAsync();
            if (observed.Count == Hosts.Count)
            {
                break;
            }
            await Task.Delay(500);
        }
        string?[] rings = [];
        while (clock.Elapsed < 2 * StartWithin)
        {
            rings = [.. await Task.WhenAll(_apis.Select(OwnerCountsAsync))];
            if (rings[0] is not null && rings.All(r => r == rings[0]))
            {
                _report.RingsAgreeAtEnd = true;
                break;
            }
            await Task.Delay(500);
        }
        if (!_report.RingsAgreeAtEnd)
        {
            _report.Violations.Add("rings disagree after the last heal: " + string.Join(" / ", rings));
        }
        List<string> violations = _ledger.Check(observed);
        if (observed.Count < Hosts.Count)
        {
            violations.Add($"only {observed.Count} of {Hosts.Count} routers answer after the last heal");
        }
        Record(elapsed + clock.Elapsed, violations, observed.Count);
    }

    private void Record(TimeSpan elapsed, List<string> violations, int up)
    {
        _report.Violations.AddRange(violations.Select(v => string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalMinutes:0.0} min: {v}")));
        ProcessSample?[] samples = [.. _routers.Select(r => r is { HasExited: false } ? ProcessSample.Read(r.Pid) : null)];
        ProcessSample[] others = [.. samples.Skip(1).OfType<ProcessSample>()];
        var row = new SoakRow(
            elapsed, _ledger.HeldCount, Interlocked.Exchange(ref _answered, 0), Interlocked.Exchange(ref _unanswered, 0),
            string.Join(", ", _faultsSinceRow), violations.Count,
            samples[0]?.RssMegabytes ?? 0, samples[0]?.OpenFiles ?? 0,
            others.Length == 0 ? 0 : others.Max(s => s.RssMegabytes), others.Length == 0 ? 0 : others.Max(s => s.OpenFiles), up);
        _faultsSinceRow.Clear();
        _report.Rows.Add(row);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"soak {elapsed.TotalMinutes:0.0} min: held {row.Held}, answered {row.Answered}, unanswered {row.Unanswered}, violations {row.Violations}, host1 {row.FirstRss:0.0} MB {row.FirstFiles} fds, up {up}"));
        foreach (string violation in violations.Take(5))
        {
            _log("soak: VIOLATION " + violation);
        }
    }

    /// <summary>What each router that answers holds (ID → address); routers down or not answering are left out.</summary>
    private async Task<Dictionary<int, Dictionary<string, string>>> ObserveAsync()
    {
        var observed = new Dictionary<int, Dictionary<string, string>>();
        for (int i = 0; i < Hosts.Count; i++)
        {
            if (_routers[i] is not { HasExited: false })
            {
                continue;
            }
            RouterApi.Reply reply = await _apis[i].SendAsync(HttpMethod.Get, "/ip");
            if (!reply.Ok)
            {
                continue;
            }
            using JsonDocument json = JsonDocument.Parse(reply.Body);
            var held = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonElement entry in json.RootElement.GetProperty("owned").EnumerateArray())
            {
                string id = entry.GetProperty("containerid").GetString()!;
                if (id.StartsWith("soak-", StringComparison.Ordinal))
                {
                    held[id] = string.Join(",", entry.GetProperty("addrs").EnumerateArray().Select(a => Address(a.GetString()!)));
                }
            }
            observed[i] = held;
        }
        return observed;
    }

    /// <summary>The sorted owner and count pairs of <c>GET /status/ipam</c>; null when it does not answer.</summary>
    private static async Task<string?> OwnerCountsAsync(RouterApi api)
    {
        RouterApi.Reply reply = await api.SendAsync(HttpMethod.Get, "/status/ipam");
        if (!reply.Ok)
        {
            return null;
        }
        string[] owners = [.. reply.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => ShareLine().Match(l)).Where(m => m.Success).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}").Order(StringComparer.Ordinal)];
        return owners.Length == 0 ? null : string.Join("; ", owners);
    }

    private static string Id(int host, int n) => string.Create(CultureInfo.InvariantCulture, $"soak-h{host + 1}-{n}");

    /// <summary>An answer's address without its prefix length, the form the ledger compares.</summary>
    private static string Address(string answer)
    {
        string trimmed = answer.Trim();
        int slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? trimmed : trimmed[..slash];
    }

    public void Dispose()
    {
        foreach (RouterApi api in _apis)
        {
            api.Dispose();
        }
        _lab.Dispose();
    }

    /// <summary>A line of <c>status ipam</c>: owner, count, share, then activity or unreachability.</summary>
    [GeneratedRegex(@"^(\S+)\s+(\d+) IPs \(")]
    private static partial Regex ShareLine();
}
