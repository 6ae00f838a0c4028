using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.Lab;

// bench/ipam: IP allocation over the router's HTTP API, real routers (out/weave) in lab hosts.
//
// 1. Throughput and latency on one host (router launched with no peers: consensus=1, the default):
//    --warmup (default 100) allocations and frees, not measured; then
//    a. --n (default 2000) POST /ip/{id} one after another on one keep-alive connection;
//    b. --n POST /ip/{id} from --concurrency (default 8) clients at once, each its own connection;
//    c. DELETE /ip/{id} of all 2 × n IDs from --concurrency clients.
//    Per phase: requests per second (requests ÷ wall time of the phase) and each request's
//    latency (send to whole answer read), p50 and p99. Every answer must be 2xx, the 2 × n
//    addresses distinct, and GET /ip empty afterwards.
// 2. Time to the first address on a fresh cluster: a new lab of 3 hosts, routers launched with
//    --ipalloc-init consensus=3, host i with host i−1 as its peer; the clock starts once the last
//    launch returns; POST /ip/first on host1 is retried every 10 ms (503 or no listener yet) until
//    it answers an address. Repeated --repeats (default 3) times; median.
// With --baseline PATH (another build of the router, e.g. of main), part 1 runs first with it,
// then with out/weave, on a fresh lab each, in the same run; a ratio table follows.
//
//   dotnet bin/Release/net10.0/linux-x64/IpamBench.dll [--n 2000] [--concurrency 8] [--repeats 3] [--warmup 100] [--baseline PATH]

int n = 2000;
int concurrency = 8;
int repeats = 3;
int warmup = 100;
string? baseline = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--baseline")
    {
        baseline = Path.GetFullPath(args[i + 1]);
        continue;
    }
    int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--n":
            n = value;
            break;
        case "--concurrency":
            concurrency = value;
            break;
        case "--repeats":
            repeats = value;
            break;
        case "--warmup":
            warmup = value;
            break;
        default:
            Console.Error.WriteLine($"ipam: unknown option {args[i]}");
            return 2;
    }
}
if (args.Length % 2 != 0)
{
    Console.Error.WriteLine($"ipam: option {args[^1]} needs a value");
    return 2;
}

string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
string command = string.Create(CultureInfo.InvariantCulture, $"bench/ipam/run.sh --n {n} --concurrency {concurrency} --repeats {repeats}") +
    (baseline is null ? "" : " --baseline " + baseline);
Console.WriteLine($"ipam {date}: n = {n}, concurrency {concurrency}, repeats {repeats}, {Environment.ProcessorCount} CPUs");
Console.WriteLine($"router: {Repo.RequireWeaveBinary()}" + (baseline is null ? "" : $", baseline: {baseline}"));
if (baseline is not null && !File.Exists(baseline))
{
    Console.Error.WriteLine($"ipam: baseline router {baseline} does not exist");
    return 2;
}
var runNames = new List<string>();
var phases = new List<Phase>();
var basePhases = new List<Phase>();
var firstAddress = new List<double>();

// 1. One host: throughput and latency (with the baseline router first when given).
if (baseline is not null)
{
    Console.WriteLine("baseline router:");
    if (await OneHost(baseline, basePhases) is int failed)
    {
        return failed;
    }
    Console.WriteLine("this router:");
}
if (await OneHost(Repo.RequireWeaveBinary(), phases) is int failure)
{
    return failure;
}

async Task<int?> OneHost(string binary, List<Phase> into)
{
    using NetLab lab = NetLab.Create(1);
    runNames.Add(lab.RunName);
    LabHost host = lab.Hosts[0];
    LabProcess router = host.StartRouterBinary(binary);
    using var api = new RouterApi(host, concurrency);
    if (!WaitFor(() => api.SendAsync(HttpMethod.Get, "/status").GetAwaiter().GetResult().Status == 200, TimeSpan.FromSeconds(30)))
    {
        Console.Error.WriteLine($"ipam: router did not answer GET /status within 30 s:\n{router.Output}");
        return 1;
    }
    for (int i = 0; i < warmup; i++)
    {
        Expect(await api.SendAsync(HttpMethod.Post, $"/ip/warmup-{i}"), 200);
        Expect(await api.SendAsync(HttpMethod.Delete, $"/ip/warmup-{i}"), 204);
    }
    Console.WriteLine($"warm-up: {warmup} allocations and frees");

    var addresses = new Dictionary<string, string>(StringComparer.Ordinal);
    string[] sequentialIds = [.. Enumerable.Range(0, n).Select(i => $"seq-{i}")];
    string[] concurrentIds = [.. Enumerable.Range(0, n).Select(i => $"conc-{i}")];
    into.Add(await RunPhase(api, $"POST /ip/{{id}}, sequential", HttpMethod.Post, sequentialIds, 1, 200, addresses));
    into.Add(await RunPhase(api, $"POST /ip/{{id}}, {concurrency} concurrent", HttpMethod.Post, concurrentIds, concurrency, 200, addresses));
    int distinct = addresses.Values.Distinct(StringComparer.Ordinal).Count();
    Console.WriteLine($"{addresses.Count} allocations, {distinct} distinct addresses");
    if (distinct != 2 * n)
    {
        Console.Error.WriteLine("ipam: addresses handed out twice");
        return 1;
    }
    into.Add(await RunPhase(api, $"DELETE /ip/{{id}}, {concurrency} concurrent", HttpMethod.Delete, [.. sequentialIds, .. concurrentIds], concurrency, 204, null));
    RouterApi.Reply left = await api.SendAsync(HttpMethod.Get, "/ip");
    Console.WriteLine($"GET /ip afterwards: {left.Body.Trim()}");
    if (left.Body.Trim() != "{\"owned\":[]}")
    {
        Console.Error.WriteLine("ipam: allocations left after deleting all");
        return 1;
    }
    Console.WriteLine($"router RSS at the end: {RssKb(router.Pid) / 1024.0:0.0} MB");
    return null;
}

// 2. Time to the first address on a fresh consensus=3 cluster.
for (int r = 0; r < repeats; r++)
{
    using NetLab lab = NetLab.Create(3);
    runNames.Add(lab.RunName);
    var routers = new LabProcess[3];
    for (int i = 0; i < 3; i++)
    {
        routers[i] = i == 0
            ? lab.Hosts[0].StartRouter("--ipalloc-init", "consensus=3")
            : lab.Hosts[i].StartRouter("--ipalloc-init", "consensus=3", lab.Hosts[i - 1].UnderlayAddress.ToString());
    }
    var clock = Stopwatch.StartNew();
    using var api = new RouterApi(lab.Hosts[0], 1);
    RouterApi.Reply reply = new(HttpMethod.Post, "/ip/first", 0, "not tried");
    int attempts = 0;
    while (clock.Elapsed < TimeSpan.FromSeconds(60))
    {
        attempts++;
        reply = await api.SendAsync(HttpMethod.Post, "/ip/first");
        if (reply.Status == 200)
        {
            break;
        }
        await Task.Delay(10);
    }
    double seconds = clock.Elapsed.TotalSeconds;
    if (reply.Status != 200)
    {
        Console.Error.WriteLine($"ipam: no address within 60 s; last answer {reply.Status}: {reply.Body}\n{routers[0].Output}");
        return 1;
    }
    firstAddress.Add(seconds);
    Console.WriteLine($"run {r + 1}: first address {reply.Body} after {seconds:0.000} s ({attempts} attempts)");
}

double medianFirst = Median([.. firstAddress]);
var table = new StringBuilder();
table.Append("| router | phase | requests | clients | wall (s) | requests/s | p50 (ms) | p99 (ms) | max (ms) |\n");
table.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
foreach ((string who, Phase p) in basePhases.Select(p => ("baseline", p)).Concat(phases.Select(p => ("this", p))))
{
    table.Append(CultureInfo.InvariantCulture,
        $"| {who} | {p.Name} | {p.Count} | {p.Clients} | {p.Wall:0.00} | {p.Count / p.Wall:0} | {p.P50:0.00} | {p.P99:0.00} | {p.Max:0.00} |\n");
}
table.Append('\n');
if (basePhases.Count == phases.Count)
{
    table.Append("| phase | requests/s, this ÷ baseline | p99, this ÷ baseline |\n|---|---:|---:|\n");
    for (int i = 0; i < phases.Count; i++)
    {
        Phase b = basePhases[i], t = phases[i];
        table.Append(CultureInfo.InvariantCulture, $"| {t.Name} | {b.Wall / t.Wall * t.Count / b.Count:0.00}× | {t.P99 / b.P99:0.00}× |\n");
    }
    table.Append('\n');
}
table.Append("| fresh 3-host cluster, consensus=3 | " + string.Join(" | ", firstAddress.Select((_, i) => $"run {i + 1}")) + " | median |\n");
table.Append("|---|" + string.Concat(firstAddress.Select(_ => "---:|")) + "---:|\n");
table.Append("| time to first address (s) | " + string.Join(" | ", firstAddress.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture))) +
    string.Create(CultureInfo.InvariantCulture, $" | {medianFirst:0.000} |\n"));
Console.WriteLine();
Console.WriteLine($"### {date} — {Environment.ProcessorCount} vCPU, Release (Native AOT router), `{command}`");
Console.WriteLine();
Console.Write(table);

// Everything the labs made must be gone.
string listed = Command.Run(TimeSpan.FromSeconds(10), "ip", ["netns", "list"]).Stdout;
string[] ours = [.. listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => runNames.Any(r => l.StartsWith(r, StringComparison.Ordinal)))];
Console.WriteLine();
Console.WriteLine(ours.Length == 0 ? $"cleanup: no namespaces of runs {string.Join(", ", runNames)} left" : $"cleanup FAILED: {string.Join(", ", ours)} still exist");
return ours.Length == 0 ? 0 : 1;

static async Task<Phase> RunPhase(RouterApi api, string name, HttpMethod method, string[] ids, int clients, int expected, Dictionary<string, string>? addresses)
{
    double[] latencies = new double[ids.Length];
    string[] bodies = new string[ids.Length];
    int next = -1;
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < ids.Length)
        {
            long start = Stopwatch.GetTimestamp();
            RouterApi.Reply reply = await api.SendAsync(method, "/ip/" + ids[i]);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            Expect(reply, expected);
            bodies[i] = reply.Body;
        }
    })));
    double seconds = wall.Elapsed.TotalSeconds;
    if (addresses is not null)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            addresses.Add(ids[i], bodies[i]);
        }
    }
    Array.Sort(latencies);
    var phase = new Phase(name, ids.Length, clients, seconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: {ids.Length} in {seconds:0.00} s = {ids.Length / seconds:0}/s, p50 {phase.P50:0.00} ms, p99 {phase.P99:0.00} ms, max {phase.Max:0.00} ms"));
    return phase;
}

static void Expect(RouterApi.Reply reply, int status)
{
    if (reply.Status != status)
    {
        throw new InvalidOperationException($"expected HTTP {status}, got {reply.Status}: {reply.Body}");
    }
}

static bool WaitFor(Func<bool> condition, TimeSpan within)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < within)
    {
        if (condition())
        {
            return true;
        }
        Thread.Sleep(50);
    }
    return false;
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static double Median(double[] values)
{
    double[] sorted = [.. values.Order()];
    int mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

static long RssKb(int pid)
{
    string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}

/// <summary>One measured phase: latencies in ms.</summary>
internal sealed record Phase(string Name, int Count, int Clients, double Wall, double P50, double P99, double Max);
