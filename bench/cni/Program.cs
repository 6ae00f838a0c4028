using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Weave.Bench.Cni;
using Weave.Lab;
using Weave.Linux;

// bench/cni: what a pod's network costs, weave-net against Debian's Go plugins.
//
// One lab host runs the router (out/weave, IP allocation by itself). For each of --pods (default
// 100) pods, in turn: weave-net ADD, weave-net DEL, then bridge (host-local IPAM) ADD and DEL, each
// in a fresh pod namespace made beforehand (not timed). A plugin run is timed from process start
// to exit, as a container runtime sees it; the plugins are started from a thread inside the host's
// namespace (no `ip netns exec` in the way). --warmup (default 5) pods of each first, not counted.
// Every run must succeed. Reports p50/p99 of ADD, DEL and ADD+DEL per pod, and weave / Debian.
//
// The breakdown: weave-net runs with WEAVE_CNI_TRACE=1 and prints, at exit, when each of its
// steps ended on the monotonic clock that this process reads too (Cni/CniTrace.cs); with the
// moment of the spawn and of the exit that splits a run into process start, the plugin's steps
// and exit. While the counted pods run, `perf trace` (when installed) times the router's
// fsync(2)s, the part of the router's answers that is the allocation being made durable.
//
//   dotnet bin/Release/net10.0/linux-x64/CniBench.dll [--pods 100] [--warmup 5]

int pods = 100;
int warmup = 5;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--pods":
            pods = value;
            break;
        case "--warmup":
            warmup = value;
            break;
        default:
            Console.Error.WriteLine($"cni: unknown option {args[i]}");
            return 2;
    }
}

const string DebianPlugins = "/usr/lib/cni";
string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
Console.WriteLine($"cni {date}: {pods} pods, warmup {warmup}, {Environment.ProcessorCount} CPUs");
using NetLab lab = NetLab.Create(1);
LabHost host = lab.Hosts[0];
LabProcess router = host.StartRouter();
using (var api = new RouterApi(host))
{
    if (!Eventually.True(() => api.Get("/status/ipam").Ok && host.Links().Contains(LabHost.Bridge), TimeSpan.FromSeconds(30)))
    {
        Console.Error.WriteLine("cni: the router did not become ready");
        return 1;
    }
}
string hostLocalData = Path.Combine(lab.TempDirectory, "host-local");
string weaveConfig = new JsonObject { ["cniVersion"] = "1.0.0", ["name"] = "weave", ["type"] = "weave-net" }.ToJsonString();
string bridgeConfig = new JsonObject
{
    ["cniVersion"] = "1.0.0",
    ["name"] = "benchbr",
    ["type"] = "bridge",
    ["bridge"] = "cnibr0",
    ["isGateway"] = true,
    ["hairpinMode"] = true,
    ["ipam"] = new JsonObject { ["type"] = "host-local", ["subnet"] = "10.99.0.0/16", ["dataDir"] = hostLocalData },
}.ToJsonString();
string weaveNet = Repo.RequireCniBinary();
string bridge = Path.Combine(DebianPlugins, "bridge");

var weaveTimes = new List<(double Add, double Del)>();
var debianTimes = new List<(double Add, double Del)>();
var addSteps = new StepTimes();
var delSteps = new StepTimes();
FsyncTrace? fsyncs = null;
for (int i = 0; i < warmup + pods; i++)
{
    if (i == warmup)
    {
        fsyncs = FsyncTrace.Start(router.Pid, Path.Combine(lab.TempDirectory, "router-fsync.trace"));
    }
    string weaveNs = host.AddPodNamespace($"w{i}");
    string debianNs = host.AddPodNamespace($"d{i}");
    Run weaveAdd = Time(weaveNet, "ADD", $"weave-{i}", weaveNs, weaveConfig);
    Run weaveDel = Time(weaveNet, "DEL", $"weave-{i}", weaveNs, weaveConfig);
    var debian = (Time(bridge, "ADD", $"debian-{i}", debianNs, bridgeConfig).Ms, Time(bridge, "DEL", $"debian-{i}", debianNs, bridgeConfig).Ms);
    if (i >= warmup)
    {
        weaveTimes.Add((weaveAdd.Ms, weaveDel.Ms));
        debianTimes.Add(debian);
        addSteps.Add(weaveAdd);
        delSteps.Add(weaveDel);
    }
}
FsyncTrace.Summary? fsyncSummary = fsyncs?.Stop();

Console.WriteLine();
Console.WriteLine("| plugin | ADD p50 | ADD p99 | DEL p50 | DEL p99 | ADD+DEL p50 | ADD+DEL p99 |");
Console.WriteLine("|---|---|---|---|---|---|---|");
Row("weave-net (router IPAM)", weaveTimes);
Row("Debian bridge + host-local", debianTimes);
double ratio50 = Percentile([.. weaveTimes.Select(t => t.Add + t.Del)], 50) / Percentile([.. debianTimes.Select(t => t.Add + t.Del)], 50);
double ratio99 = Percentile([.. weaveTimes.Select(t => t.Add + t.Del)], 99) / Percentile([.. debianTimes.Select(t => t.Add + t.Del)], 99);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ADD+DEL weave-net / Debian: p50 {ratio50:F2}x, p99 {ratio99:F2}x (goal: p50 <= 1.0x)"));
Console.WriteLine();
Console.WriteLine("Where a weave-net run spends its time (from its trace; each step ends at the named point):");
Console.WriteLine();
Console.WriteLine("| step | ADD p50 | ADD mean | DEL p50 | DEL mean |");
Console.WriteLine("|---|---|---|---|---|");
foreach (string step in addSteps.Steps.Concat(delSteps.Steps).Distinct())
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {step} | {addSteps.Cell(step, 50)} | {addSteps.Cell(step, 0)} | {delSteps.Cell(step, 50)} | {delSteps.Cell(step, 0)} |"));
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| whole run, as timed above | {addSteps.Cell(StepTimes.Whole, 50)} | {addSteps.Cell(StepTimes.Whole, 0)} | {delSteps.Cell(StepTimes.Whole, 50)} | {delSteps.Cell(StepTimes.Whole, 0)} |"));
Console.WriteLine();
Console.WriteLine(fsyncSummary is { } f
    ? string.Create(CultureInfo.InvariantCulture,
        $"router fsync(2)s while the counted pods ran: {f.Count} for {2 * pods} requests that change the state, {f.TotalMs / (2 * pods):F2} ms per request (mean {f.TotalMs / Math.Max(1, f.Count):F2} ms, p50 {f.P50Ms:F2} ms, max {f.MaxMs:F2} ms each)")
    : "router fsync(2)s: not measured (perf trace is not available)");
Console.WriteLine($"command: bench/cni/run.sh --pods {pods} --warmup {warmup}");
return 0;

Run Time(string plugin, string command, string id, string netns, string config)
{
    var environment = new Dictionary<string, string>
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = id,
        ["CNI_NETNS"] = netns,
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = DebianPlugins,
        ["WEAVE_CNI_TRACE"] = "1",
    };
    return NetNs.Run(host.Namespace, () =>
    {
        var start = new ProcessStartInfo(plugin) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }
        long spawned = Stopwatch.GetTimestamp();
        using Process process = Process.Start(start)!;
        process.StandardInput.Write(config);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        long exited = Stopwatch.GetTimestamp();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{plugin} {command} {id} exited {process.ExitCode}: {stdout.Result} {stderr.Result}");
        }
        return new Run(spawned, exited, stderr.Result);
    });
}

void Row(string name, List<(double Add, double Del)> times)
{
    double[] add = [.. times.Select(t => t.Add)];
    double[] del = [.. times.Select(t => t.Del)];
    double[] both = [.. times.Select(t => t.Add + t.Del)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Percentile(add, 50):F1} ms | {Percentile(add, 99):F1} ms | {Percentile(del, 50):F1} ms | {Percentile(del, 99):F1} ms | {Percentile(both, 50):F1} ms | {Percentile(both, 99):F1} ms |"));
}

static double Percentile(double[] values, int percentile)
{
    double[] sorted = [.. values.Order()];
    int index = (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1;
    return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
}
