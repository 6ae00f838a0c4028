using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
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
host.StartRouter();
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
for (int i = 0; i < warmup + pods; i++)
{
    string weaveNs = host.AddPodNamespace($"w{i}");
    string debianNs = host.AddPodNamespace($"d{i}");
    var weave = (Time(weaveNet, "ADD", $"weave-{i}", weaveNs, weaveConfig), Time(weaveNet, "DEL", $"weave-{i}", weaveNs, weaveConfig));
    var debian = (Time(bridge, "ADD", $"debian-{i}", debianNs, bridgeConfig), Time(bridge, "DEL", $"debian-{i}", debianNs, bridgeConfig));
    if (i >= warmup)
    {
        weaveTimes.Add(weave);
        debianTimes.Add(debian);
    }
}

Console.WriteLine();
Console.WriteLine("| plugin | ADD p50 | ADD p99 | DEL p50 | DEL p99 | ADD+DEL p50 | ADD+DEL p99 |");
Console.WriteLine("|---|---|---|---|---|---|---|");
Row("weave-net (router IPAM)", weaveTimes);
Row("Debian bridge + host-local", debianTimes);
double ratio50 = Percentile([.. weaveTimes.Select(t => t.Add + t.Del)], 50) / Percentile([.. debianTimes.Select(t => t.Add + t.Del)], 50);
double ratio99 = Percentile([.. weaveTimes.Select(t => t.Add + t.Del)], 99) / Percentile([.. debianTimes.Select(t => t.Add + t.Del)], 99);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ADD+DEL weave-net / Debian: p50 {ratio50:F2}x, p99 {ratio99:F2}x (goal: p50 <= 1.5x)"));
Console.WriteLine($"command: bench/cni/run.sh --pods {pods} --warmup {warmup}");
return 0;

double Time(string plugin, string command, string id, string netns, string config)
{
    var environment = new Dictionary<string, string>
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = id,
        ["CNI_NETNS"] = netns,
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = DebianPlugins,
    };
    return NetNs.Run(host.Namespace, () =>
    {
        var start = new ProcessStartInfo(plugin) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        process.StandardInput.Write(config);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        double ms = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{plugin} {command} {id} exited {process.ExitCode}: {stdout.Result} {stderr.Result}");
        }
        return ms;
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
