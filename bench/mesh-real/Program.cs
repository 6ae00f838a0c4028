using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.Lab;

// bench/mesh-real: N real routers (out/weave) in N lab hosts. Host i is launched with host i-1's
// underlay address as its only peer (host1 with none); discovery has to make the chain a full
// mesh. Measured:
//   1. time from launching the last router until every router's `weave status` shows
//      `Peers: N` and `Connections: N-1 (N-1 established)` (all hosts polled in parallel,
//      a new round 250 ms after the previous one ended; cap --timeout-seconds, default 120);
//   2. after that, --idle-seconds (default 30) of idling: per-router RSS (VmRSS) at the end and
//      CPU seconds (utime + stime from /proc/<pid>/stat) used during the idle period;
//   3. bytes each host sent on the underlay (its eth0: the mesh's TCP and the data plane's UDP
//      heartbeats) from launch to full mesh, read from the underlay's end of its veth, and each
//      router's peak RSS (VmHWM) and CPU seconds from launch to full mesh.
//
//   dotnet bin/Release/net10.0/linux-x64/MeshReal.dll [--n 20] [--idle-seconds 30] [--timeout-seconds 120] [--poll-cli 1]
//
// Polling reads GET /status from each router's API (the text `weave status` prints); --poll-cli 1
// runs `weave status` itself instead, which on 2 vCPU costs seconds per round of 20 processes.

int n = 20;
double idleSeconds = 30;
double timeoutSeconds = 120;
bool pollCli = false;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--n":
            n = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--idle-seconds":
            idleSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--poll-cli":
            pollCli = args[i + 1] is "1" or "true";
            break;
        case "--timeout-seconds":
            timeoutSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine($"mesh-real: unknown option {args[i]}");
            return 2;
    }
}
if (args.Length % 2 != 0)
{
    Console.Error.WriteLine($"mesh-real: option {args[^1]} needs a value");
    return 2;
}

int ticksPerSecond = ClockTicks();
string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
Console.WriteLine($"mesh-real {date}: N = {n}, idle {idleSeconds} s, cap {timeoutSeconds} s, CLK_TCK {ticksPerSecond}, {Environment.ProcessorCount} CPUs");
string weave = Repo.RequireWeaveBinary();
Console.WriteLine($"router: {weave}");

int exitCode = 0;
string runName;
// The lab's own log is not printed (100 hosts' worth of lines), except what it does to the kernel's limits.
using (NetLab lab = NetLab.Create(n, line =>
{
    if (line.StartsWith("neighbour table", StringComparison.Ordinal))
    {
        Console.WriteLine(line);
    }
}))
{
    runName = lab.RunName;
    var routers = new LabProcess[n];
    long[] sentAtLaunch = UnderlaySentBytes(lab);
    var launch = Stopwatch.StartNew();
    for (int i = 0; i < n; i++)
    {
        routers[i] = i == 0 ? lab.Hosts[0].StartRouter() : lab.Hosts[i].StartRouter(lab.Hosts[i - 1].UnderlayAddress.ToString());
    }
    var clock = Stopwatch.StartNew();
    double launchSeconds = launch.Elapsed.TotalSeconds;
    Console.WriteLine($"launched {n} routers in {launchSeconds:0.00} s; logs in {lab.TempDirectory}");

    // `ip netns exec` execs the program, so the LabProcess's pid becomes the router itself once
    // `ip` has entered the namespace (a few ms after the start: until then its comm is 'ip').
    foreach (LabProcess router in routers)
    {
        string comm = "";
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(5); Thread.Sleep(10))
        {
            comm = File.ReadAllText($"/proc/{router.Pid}/comm").Trim();
            if (comm == "weave")
            {
                break;
            }
        }
        if (comm != "weave")
        {
            Console.Error.WriteLine($"mesh-real: pid {router.Pid} is '{comm}', not the router 'weave'");
            return 1;
        }
    }
    Console.WriteLine($"pids verified: /proc/<pid>/comm is 'weave' for all {n} (ip netns exec exec'd the router)");

    TimeSpan cap = TimeSpan.FromSeconds(timeoutSeconds);
    string[] last = [];
    double? fullMeshSeconds = null;
    int rounds = 0;
    double roundSecondsTotal = 0;
    while (true)
    {
        var round = Stopwatch.StartNew();
        last = pollCli ? [.. lab.Hosts.AsParallel().AsOrdered().WithDegreeOfParallelism(n).Select(Status)] : [.. lab.Hosts.AsParallel().AsOrdered().WithDegreeOfParallelism(n).Select(ApiStatus)];
        double at = clock.Elapsed.TotalSeconds;
        rounds++;
        roundSecondsTotal += round.Elapsed.TotalSeconds;
        int ready = last.Count(s => IsFullMesh(s, n));
        if (rounds % 4 == 1 || ready == n || round.Elapsed.TotalSeconds > 1)
        {
            Console.WriteLine($"  {at,6:0.00} s: {ready}/{n} routers full mesh (round took {round.Elapsed.TotalSeconds:0.00} s)");
        }
        if (ready == n)
        {
            fullMeshSeconds = at;
            break;
        }
        if (routers.FirstOrDefault(r => r.HasExited) is { } dead)
        {
            Console.Error.WriteLine($"mesh-real: {dead} exited {dead.ExitCode}:\n{Tail(dead.Output, 40)}");
            exitCode = 1;
            break;
        }
        if (clock.Elapsed >= cap)
        {
            break;
        }
        Thread.Sleep(250);
    }
    double meanRound = roundSecondsTotal / rounds;
    if (fullMeshSeconds is null)
    {
        long[] sentSoFar = UnderlaySentBytes(lab);
        double[] sentMb = [.. sentSoFar.Zip(sentAtLaunch, (a, b) => (a - b) / 1e6)];
        double[] peakMb = [.. routers.Where(r => !r.HasExited).Select(r => PeakRssKb(r.Pid) / 1024.0)];
        double[] rssNowMb = [.. routers.Where(r => !r.HasExited).Select(r => RssKb(r.Pid) / 1024.0)];
        double[] cpuSoFar = [.. routers.Where(r => !r.HasExited).Select(r => CpuTicks(r.Pid) / (double)ticksPerSecond)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"so far: sent on the underlay per host min / median / max {sentMb.Min():0.00} / {Median(sentMb):0.00} / {sentMb.Max():0.00} MB, total {sentMb.Sum():0.0} MB; " +
            $"CPU per router {cpuSoFar.Min():0.00} / {Median(cpuSoFar):0.00} / {cpuSoFar.Max():0.00} s, total {cpuSoFar.Sum():0.0} s; " +
            $"RSS {rssNowMb.Min():0.0} / {Median(rssNowMb):0.0} / {rssNowMb.Max():0.0} MB, peak (VmHWM) {peakMb.Min():0.0} / {Median(peakMb):0.0} / {peakMb.Max():0.0} MB"));
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"NOT a full mesh within {timeoutSeconds} s; last status:");
        for (int i = 0; i < n; i++)
        {
            Console.WriteLine($"[{(IsFullMesh(last[i], n) ? "ok" : "NOT YET")}] host{i + 1}: {Summary(last[i])}");
        }
        exitCode = 1;
    }

    if (exitCode == 0)
    {
        long[] sentAtMesh = UnderlaySentBytes(lab);
        double[] formationMb = [.. sentAtMesh.Zip(sentAtLaunch, (a, b) => (a - b) / 1e6)];
        double[] formationCpu = [.. routers.Select(r => CpuTicks(r.Pid) / (double)ticksPerSecond)];
        double[] peakRssMb = [.. routers.Select(r => PeakRssKb(r.Pid) / 1024.0)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"formation (launch to full mesh): sent on the underlay per host min / median / max {formationMb.Min():0.00} / {Median(formationMb):0.00} / {formationMb.Max():0.00} MB, total {formationMb.Sum():0.0} MB; " +
            $"CPU per router {formationCpu.Min():0.00} / {Median(formationCpu):0.00} / {formationCpu.Max():0.00} s, total {formationCpu.Sum():0.0} s; " +
            $"peak RSS (VmHWM) {peakRssMb.Min():0.0} / {Median(peakRssMb):0.0} / {peakRssMb.Max():0.0} MB (host{Array.IndexOf(peakRssMb, peakRssMb.Max()) + 1})"));
        Console.WriteLine($"load average at full mesh: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"full mesh after {fullMeshSeconds:0.00} s ({rounds} polling rounds, {meanRound:0.00} s each on average); idling {idleSeconds} s");
        long[] before = [.. routers.Select(r => CpuTicks(r.Pid))];
        Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
        long[] after = [.. routers.Select(r => CpuTicks(r.Pid))];
        double[] rssMb = [.. routers.Select(r => RssKb(r.Pid) / 1024.0)];
        double[] cpuSeconds = [.. before.Zip(after, (b, a) => (a - b) / (double)ticksPerSecond)];
        double[] cpuPercent = [.. cpuSeconds.Select(s => 100 * s / idleSeconds)];
        string[] afterIdle = [.. lab.Hosts.AsParallel().AsOrdered().WithDegreeOfParallelism(n).Select(Status)];
        int stillFull = afterIdle.Count(s => IsFullMesh(s, n));

        for (int i = 0; i < n; i++)
        {
            Console.WriteLine($"  host{i + 1} pid {routers[i].Pid}: RSS {rssMb[i]:0.0} MB (peak {PeakRssKb(routers[i].Pid) / 1024.0:0.0}), idle CPU {cpuSeconds[i]:0.00} s ({cpuPercent[i]:0.00} %), sent in formation {formationMb[i]:0.00} MB");
        }
        Console.WriteLine($"after idling: {stillFull}/{n} routers' `weave status` (the CLI) still show the full mesh");

        bool meshGoal = fullMeshSeconds <= 20 && n >= 20;
        bool rssGoal = rssMb.Max() < 60;
        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {fullMeshSeconds:0.00} | {rssMb.Min():0.0} | {Median(rssMb):0.0} | {rssMb.Max():0.0} | {Median(cpuPercent):0.00} | {cpuPercent.Max():0.00} | {Median(cpuSeconds):0.00} | {cpuSeconds.Max():0.00} |");
        var section = new StringBuilder();
        section.Append(CultureInfo.InvariantCulture, $"### {date} — N = {n}, {Environment.ProcessorCount} vCPU, Release, `bench/mesh-real/run.sh --n {n}`\n\n");
        section.Append("| N | time to full mesh (s) | RSS min (MB) | RSS median (MB) | RSS max (MB) | idle CPU median (%) | idle CPU max (%) | idle CPU median (s / ")
            .Append(idleSeconds.ToString(CultureInfo.InvariantCulture)).Append(" s) | idle CPU max (s) |\n");
        section.Append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n").Append(row).Append('\n');
        section.Append(CultureInfo.InvariantCulture, $"\nGoals (issue 3): {n} routers full mesh within 20 s — {(meshGoal ? "met" : "NOT met")} ({fullMeshSeconds:0.00} s");
        section.Append(CultureInfo.InvariantCulture, $", polled {(pollCli ? "with `weave status`" : "via GET /status")} in rounds of {meanRound:0.00} s); idle router under 60 MB RSS — {(rssGoal ? "met" : "NOT met")} (max {rssMb.Max():0.0} MB).\n");
        section.Append(CultureInfo.InvariantCulture, $"Launching the {n} routers took {launchSeconds:0.00} s; {stillFull}/{n} still showed the full mesh in `weave status` after idling.\n");
        Console.WriteLine();
        Console.WriteLine(row);
        Console.WriteLine();
        Console.WriteLine(section);
    }
}

// Everything the lab made must be gone.
string leftover = Command.Run(TimeSpan.FromSeconds(10), "ip", ["netns", "list"]).Stdout;
string[] ours = [.. leftover.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(runName, StringComparison.Ordinal))];
Console.WriteLine(ours.Length == 0 ? $"cleanup: no namespaces of run {runName} left (`ip netns list`: {(leftover.Trim().Length == 0 ? "empty" : leftover.Trim().Replace('\n', ' '))})"
    : $"cleanup FAILED: {string.Join(", ", ours)} still exist");
return ours.Length == 0 ? exitCode : 1;

// The router's API answer to GET /status: the text `weave status` prints, read with one HTTP/1.0
// request from inside the host's namespace, so polling 20 hosts costs microseconds instead of
// starting 20 .NET client processes (which on 2 vCPU took 7-16 s per round and blurred the timing).
static string ApiStatus(LabHost host) => host.Run(() =>
{
    try
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000, SendTimeout = 5000 };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, 6784));
        socket.Send(Encoding.ASCII.GetBytes("GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
        var response = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = socket.Receive(buffer)) > 0)
        {
            response.Write(buffer, 0, read);
        }
        string text = Encoding.UTF8.GetString(response.ToArray());
        int body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && body >= 0 ? text[(body + 4)..] : "error: " + text;
    }
    catch (SocketException e)
    {
        return "error: " + e.Message;
    }
});

static string Status(LabHost host)
{
    CommandResult status = host.RunWeave("status");
    return status.Succeeded ? status.Stdout : status.ToString();
}

static bool IsFullMesh(string status, int n) =>
    Line(status, "Peers") is { } peers && peers.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{n} "), StringComparison.Ordinal)
    && Line(status, "Connections") == string.Create(CultureInfo.InvariantCulture, $"{n - 1} ({n - 1} established)");

static string? Line(string status, string label)
{
    Match match = Regex.Match(status, $@"^\s*{label}:\s*(.*)$", RegexOptions.Multiline);
    return match.Success ? match.Groups[1].Value.Trim() : null;
}

static string Summary(string status) => $"{Line(status, "Connections") ?? "?"}; Peers: {Line(status, "Peers") ?? status.Trim()}";

static string Tail(string text, int lines)
{
    string[] all = text.Split('\n');
    return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
}

static long CpuTicks(int pid)
{
    // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
    string stat = File.ReadAllText($"/proc/{pid}/stat");
    string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
}

static long RssKb(int pid) => StatusKb(pid, "VmRSS:");

static long PeakRssKb(int pid) => StatusKb(pid, "VmHWM:");

static long StatusKb(int pid, string field)
{
    string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}

// What each host has sent on its eth0 so far: the bytes its veth's other end, hostI in the
// underlay namespace, has received (one `ip` call for all hosts).
static long[] UnderlaySentBytes(NetLab lab)
{
    using JsonDocument links = JsonDocument.Parse(Ip.In(lab.UnderlayNamespace, "-s", "-j", "link", "show").Stdout);
    long[] sent = new long[lab.Hosts.Count];
    foreach (JsonElement link in links.RootElement.EnumerateArray())
    {
        string name = link.GetProperty("ifname").GetString() ?? "";
        if (name.StartsWith("host", StringComparison.Ordinal) && int.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int host)
            && host >= 1 && host <= sent.Length)
        {
            sent[host - 1] = link.GetProperty("stats64").GetProperty("rx").GetProperty("bytes").GetInt64();
        }
    }
    return sent;
}

static double Median(double[] values)
{
    double[] sorted = [.. values.Order()];
    int mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

static int ClockTicks()
{
    CommandResult result = Command.Run(TimeSpan.FromSeconds(5), "getconf", ["CLK_TCK"]);
    return result.Succeeded && int.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int ticks) ? ticks : 100;
}
