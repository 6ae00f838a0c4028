using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.Lab;

// bench/dataplane: pod to pod across two lab hosts (namespaces on the lab's underlay bridge), in
// one run and one topology, first through the kernel's VXLAN (the baseline), then through the
// router:
//
//   1. kernel VXLAN: in each host a bridge `kvx-br` (MTU 1376) with a VXLAN device `vxlan-bench`
//      (VNI 42, UDP 4789, local = this host's underlay address, remote = the other's; MTU 1376)
//      and a pod `kpodN` (10.200.0.N/24) whose veth hangs on that bridge. Torn down afterwards.
//   2. the router: `out/weave launch` on both hosts (host2 targeting host1), pods `podN` at
//      10.32.0.N/12 on the bridge `weave` the router creates (addresses set by the lab, no CNI).
//      With its default, the kernel fast path: the kernels' VXLAN devices carry the pods' frames
//      once the routers pinned their MACs (docs/dataplane.md).
//   2a. the router again with `--no-fastdp` (the routers and pods of 2 removed first, pods `upodN`):
//      every frame through the routers' userspace data path, as before the fast path.
//   2b. socat, issue 5's naive userspace forwarder and the yardstick of its ping goal: one
//      `socat TUN,tun-type=tap UDP-DATAGRAM` per host (TAP `sct-tap` on a bridge `sct-br`, UDP 6790
//      to the other host) and a pod `spodN` (10.201.0.N/24); ping only. Skipped when socat is not
//      installed (./test.sh installs it). Torn down afterwards.
//   3. with --encrypted, the router again with `--password` (every datagram sealed, sleeve on UDP
//      6783, overlay MTU 1420): the routers and pods of 2 are removed first, pods `epodN` added.
//      Compared with kernel VXLAN and with wireguard-go's 3.2 Gbit/s measured here (issue 6).
//   4. with --null-cipher-router PATH (run.sh --null-cipher builds it), that router build with
//      `--password`: HEAD with null-cipher.patch, where AEGIS-256 copies instead of sealing and
//      every record opens. Never shipped; it measures what the sealed path would carry if the
//      cipher cost nothing more than one copy, i.e. how much of the gap to a goal any cipher could close.
//
// For each: ping RTT from pod2 to pod1 (--pings, default 100, every --ping-interval 0.05 s) as
// avg / p50 / p99; then iperf3 TCP pod2 → pod1 with 1 stream and with --streams (default 4),
// --seconds (10) each, --runs (3) times, median in Gbit/s (the receiver's count). Pods' veths
// have MTU 1376 (the router's overlay MTU) in both setups, so only the encapsulation differs.
// CPU per gigabit: busy time of the whole machine (/proc/stat, iperf3 included in both setups)
// during each iperf3 run divided by the gigabits received.
//
//   dotnet bin/Release/net10.0/linux-x64/DataPlaneBench.dll [--seconds 10] [--runs 3] [--streams 4]
//       [--pings 100] [--ping-interval 0.05] [--encrypted] [--null-cipher-router PATH]

const string KernelBridge = "kvx-br";
const string KernelVxlan = "vxlan-bench";
// The overlay MTU the router derives from the lab's 1500-byte underlay (1500 - 56, docs/mtu.md), so
// both sides carry frames of the same size.
const int KernelVxlanMtu = 1444;
const int IperfPort = 5201;
const string SocatBridge = "sct-br";
const string SocatTap = "sct-tap";
const int SocatPort = 6790;
const double ClockTicks = 100; // CLK_TCK on Linux x86-64: /proc/<pid>/stat counts CPU time in 1/100 s

int seconds = 10;
int runs = 3;
int streams = 4;
int pings = 100;
double pingInterval = 0.05;
// wireguard-go (newer, with offloads) measured on this machine in the same topology (issue 6).
const double WireGuardGoGbps = 3.2;
bool encrypted = args.Contains("--encrypted");
string? nullCipherRouter = null;
var rest = args.Where(a => a != "--encrypted").ToList();
for (int i = 0; i < rest.Count; i += 2)
{
    if (i + 1 >= rest.Count)
    {
        Console.Error.WriteLine($"dataplane: option {rest[i]} needs a value");
        return 2;
    }
    string value = rest[i + 1];
    switch (rest[i])
    {
        case "--seconds":
            seconds = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--runs":
            runs = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--streams":
            streams = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--pings":
            pings = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--ping-interval":
            pingInterval = double.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--null-cipher-router":
            nullCipherRouter = value;
            encrypted = true;
            break;
        default:
            Console.Error.WriteLine($"dataplane: unknown option {rest[i]}");
            return 2;
    }
}
if (seconds < 1 || runs < 1 || streams < 2 || pings < 1 || pingInterval <= 0)
{
    Console.Error.WriteLine("dataplane: --seconds, --runs, --pings must be ≥ 1, --streams ≥ 2, --ping-interval > 0");
    return 2;
}
if (nullCipherRouter is not null && !File.Exists(nullCipherRouter))
{
    Console.Error.WriteLine($"dataplane: --null-cipher-router {nullCipherRouter}: no such file (run.sh --null-cipher builds it)");
    return 2;
}

try
{
    _ = Command.Run(TimeSpan.FromSeconds(5), "iperf3", ["--version"]);
}
catch (Win32Exception)
{
    Console.Error.WriteLine("dataplane: iperf3 is missing: run ./test.sh once (it installs the test tools) or apt-get install iperf3");
    return 1;
}

string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
string kernelRelease = Command.Run(TimeSpan.FromSeconds(5), "uname", ["-r"]).Stdout.Trim();
string commit = Command.Run(TimeSpan.FromSeconds(5), "git", ["-C", Repo.Root, "rev-parse", "--short", "HEAD"]).Stdout.Trim();
string weave = Repo.RequireWeaveBinary();
string loadBefore = LoadAverage();
Console.WriteLine($"dataplane {date}: {Environment.ProcessorCount} CPUs, kernel {kernelRelease}, commit {commit}, load {loadBefore}");
Console.WriteLine($"router: {weave} (built {File.GetLastWriteTimeUtc(weave):yyyy-MM-dd HH:mm} UTC)");
Console.WriteLine($"iperf3 TCP pod2 → pod1: 1 and {streams} streams, {runs} × {seconds} s each; ping: {pings} every {pingInterval.ToString(CultureInfo.InvariantCulture)} s");

Setup? kernel = null;
PingStats? socatPing = null;
Setup? router = null;
Setup? userspace = null;
Setup? sealedRouter = null;
Setup? nullCipher = null;
string runName;
int exitCode = 0;
using (NetLab lab = NetLab.Create(2))
{
    runName = lab.RunName;
    LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1];
    try
    {
        // 1. Kernel VXLAN.
        Console.WriteLine($"\n== kernel VXLAN ({KernelVxlan}: VNI 42, UDP 4789, MTU {KernelVxlanMtu}, on bridge {KernelBridge})");
        LabPod kpod1 = AddKernelHost(host1, host2, "kpod1", "10.200.0.1/24");
        LabPod kpod2 = AddKernelHost(host2, host1, "kpod2", "10.200.0.2/24");
        kernel = Measure("kernel VXLAN", kpod1, kpod2, []);
        foreach (LabPod pod in new[] { kpod1, kpod2 })
        {
            foreach (string link in new[] { pod.HostLink, KernelVxlan, KernelBridge })
            {
                Ip.In(pod.Host.Namespace, "link", "del", link);
            }
        }
        Console.WriteLine($"kernel VXLAN setup removed ({KernelVxlan}, {KernelBridge}, the kpods' veths)");

        // 2b. socat, for the ping goal's yardstick.
        if (Command.Run(TimeSpan.FromSeconds(5), "sh", ["-c", "command -v socat"]).ExitCode == 0)
        {
            Console.WriteLine($"\n== socat TAP↔UDP forwarder (TAP {SocatTap} on bridge {SocatBridge}, UDP {SocatPort} to the other host; ping only)");
            var socats = new List<LabProcess>();
            LabPod spod1 = AddSocatHost(host1, host2, "spod1", "10.201.0.1/24", socats);
            LabPod spod2 = AddSocatHost(host2, host1, "spod2", "10.201.0.2/24", socats);
            socatPing = ReachAndPing("socat", spod1, spod2, [.. socats]);
            foreach (LabProcess socat in socats)
            {
                socat.Stop();
            }
            foreach (LabPod pod in new[] { spod1, spod2 })
            {
                Ip.In(pod.Host.Namespace, "link", "del", pod.HostLink);
                Ip.In(pod.Host.Namespace, "link", "del", SocatBridge);
            }
            Console.WriteLine($"socat setup removed (socat, {SocatBridge}, the spods' veths)");
        }
        else
        {
            Console.WriteLine("\n== socat TAP↔UDP forwarder: skipped, socat is not installed (./test.sh installs it)");
        }

        // 2. The router.
        Console.WriteLine("\n== router, fast path (out/weave launch on both hosts, host2 targeting host1)");
        (LabProcess[] routers, LabPod pod1, LabPod pod2) = StartRouters(host1, host2, "pod", []);
        WaitForPins(pod1, pod2, routers);
        router = Measure("router, fast path", pod1, pod2, routers);
        CheckRunning(routers);
        RemoveRouters(routers, pod1, pod2);

        Console.WriteLine("\n== router, userspace (--no-fastdp on both hosts; the fast-path routers, pods and bridges removed)");
        (LabProcess[] userRouters, LabPod upod1, LabPod upod2) = StartRouters(host1, host2, "upod", ["--no-fastdp"]);
        userspace = Measure("router, userspace", upod1, upod2, userRouters);
        CheckRunning(userRouters);
        if (encrypted)
        {
            RemoveRouters(userRouters, upod1, upod2);
            Console.WriteLine("\n== router, encrypted (--password on both hosts; the plaintext routers, pods and bridges removed)");
            (LabProcess[] sealedRouters, LabPod epod1, LabPod epod2) = StartRouters(host1, host2, "epod", ["--password", "bench-data-plane"]);
            sealedRouter = Measure("router, encrypted", epod1, epod2, sealedRouters);
            CheckRunning(sealedRouters);
            if (nullCipherRouter is not null)
            {
                RemoveRouters(sealedRouters, epod1, epod2);
                Console.WriteLine($"\n== router, null cipher ({nullCipherRouter} with --password; bench only: sealing copies, every record opens)");
                (LabProcess[] nullRouters, LabPod npod1, LabPod npod2) = StartRouters(host1, host2, "npod", ["--password", "bench-data-plane"], nullCipherRouter);
                nullCipher = Measure("router, null cipher", npod1, npod2, nullRouters);
                CheckRunning(nullRouters);
            }
        }
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or JsonException or FormatException)
    {
        Console.Error.WriteLine($"dataplane: FAILED: {e.Message}");
        exitCode = 1;
    }
}

if (kernel is not null && router is not null)
{
    string loadAfter = LoadAverage();
    string pingNote = $"{pings} pings every {pingInterval.ToString(CultureInfo.InvariantCulture)} s";
    var table = new StringBuilder();
    Setup? sealedOrNull = sealedRouter;
    table.Append("| pod → pod, 2 hosts | kernel VXLAN | router, fast path | fast path ÷ kernel | router, userspace | userspace ÷ kernel |")
        .Append(sealedOrNull is null ? "\n|---|---:|---:|---:|---:|---:|\n" : " router, encrypted | encrypted ÷ kernel |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    void Line(string label, Func<Setup, double> value, string format) =>
        Row(table, label, value(kernel), value(router), userspace is null ? null : value(userspace), sealedOrNull is null ? null : value(sealedOrNull), format);
    Line($"TCP 1 stream (Gbit/s, median of {runs} × {seconds} s)", s => Median(s.Single), "0.00");
    Line($"TCP {streams} streams (Gbit/s, median of {runs} × {seconds} s)", s => Median(s.Multi), "0.00");
    Line("CPU per gigabit, 1 stream (core-seconds, whole machine, median)", s => Median(s.SingleCpuPerGigabit), "0.000");
    Line($"CPU per gigabit, {streams} streams (core-seconds, whole machine, median)", s => Median(s.MultiCpuPerGigabit), "0.000");
    Line($"ping RTT avg (ms, {pingNote})", s => s.Ping.Avg, "0.000");
    Line("ping RTT p50 (ms)", s => s.Ping.P50, "0.000");
    Line("ping RTT p99 (ms)", s => s.Ping.P99, "0.000");
    if (socatPing is not null && userspace is not null)
    {
        table.Append(CultureInfo.InvariantCulture,
            $"\nuserspace router ping ÷ socat TAP↔UDP forwarder's in the same run (issue 5's goal: ≤ 1): p50 {userspace.Ping.P50:0.000} / {socatPing.P50:0.000} ms = {userspace.Ping.P50 / socatPing.P50:0.00}, avg {userspace.Ping.Avg:0.000} / {socatPing.Avg:0.000} ms = {userspace.Ping.Avg / socatPing.Avg:0.00}, p99 {userspace.Ping.P99:0.000} / {socatPing.P99:0.000} ms\n");
    }
    if (sealedOrNull is not null)
    {
        table.Append(CultureInfo.InvariantCulture,
            $"\nencrypted ÷ wireguard-go ({WireGuardGoGbps} Gbit/s, issue 6): 1 stream {Median(sealedOrNull.Single) / WireGuardGoGbps:0.00}, {streams} streams {Median(sealedOrNull.Multi) / WireGuardGoGbps:0.00}\n");
    }
    if (sealedRouter is not null && nullCipher is not null)
    {
        table.Append(CultureInfo.InvariantCulture,
            $"\nnull cipher (the sealed path with a copy for a cipher; bench only), 1 / {streams} streams: {Median(nullCipher.Single):0.00} / {Median(nullCipher.Multi):0.00} Gbit/s; "
            + $"encrypted ÷ null cipher {Median(sealedRouter.Single) / Median(nullCipher.Single):0.00} / {Median(sealedRouter.Multi) / Median(nullCipher.Multi):0.00}; "
            + $"null cipher ÷ wireguard-go {Median(nullCipher.Single) / WireGuardGoGbps:0.00} / {Median(nullCipher.Multi) / WireGuardGoGbps:0.00}; "
            + $"CPU per gigabit {Median(nullCipher.SingleCpuPerGigabit):0.000} / {Median(nullCipher.MultiCpuPerGigabit):0.000} core-seconds\n");
    }

    var details = new StringBuilder();
    foreach (Setup setup in new[] { kernel, router, userspace, sealedRouter, nullCipher }.OfType<Setup>())
    {
        details.Append(CultureInfo.InvariantCulture, $"- {setup.Name}: 1 stream {Runs(setup.Single)} Gbit/s (retransmits {string.Join(" / ", setup.SingleRetransmits)}); ");
        details.Append(CultureInfo.InvariantCulture, $"{streams} streams {Runs(setup.Multi)} Gbit/s (retransmits {string.Join(" / ", setup.MultiRetransmits)}); ");
        details.Append(CultureInfo.InvariantCulture, $"ping {setup.Ping.Received}/{setup.Ping.Sent} replies, min {setup.Ping.Min:0.000} max {setup.Ping.Max:0.000} ms");
        if (setup.RouterCpu.Count > 0)
        {
            details.Append("; router CPU during the TCP runs (% of one core, router1 (receiving) / router2 (sending)): ")
                .Append(string.Join(", ", setup.RouterCpu));
        }
        details.Append('\n');
    }
    string note = $"{date}, {Environment.ProcessorCount} CPUs (nproc), kernel {kernelRelease}, commit {commit}; load average before {loadBefore}, after {loadAfter}";

    Console.WriteLine();
    Console.WriteLine(table);
    Console.Write(details);
    Console.WriteLine();
    Console.WriteLine(note);
}

// Everything the lab made must be gone (the kernel VXLAN setup lived inside the lab's hosts).
string leftover = Command.Run(TimeSpan.FromSeconds(10), "ip", ["netns", "list"]).Stdout;
string[] ours = [.. leftover.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(runName, StringComparison.Ordinal))];
Console.WriteLine(ours.Length == 0 ? $"cleanup: no namespaces of run {runName} left (`ip netns list`: {(leftover.Trim().Length == 0 ? "empty" : leftover.Trim().Replace('\n', ' '))})"
    : $"cleanup FAILED: {string.Join(", ", ours)} still exist");
return ours.Length == 0 ? exitCode : 1;

// A kernel VXLAN endpoint in `host` towards `other`, a bridge, and a pod on it.
static LabPod AddKernelHost(LabHost host, LabHost other, string podName, string cidr)
{
    string mtu = KernelVxlanMtu.ToString(CultureInfo.InvariantCulture);
    string ns = host.Namespace;
    Ip.In(ns, "link", "add", KernelBridge, "mtu", mtu, "type", "bridge");
    Ip.In(ns, "link", "set", KernelBridge, "up");
    Ip.In(ns, "link", "add", KernelVxlan, "mtu", mtu, "type", "vxlan", "id", "42", "dstport", "4789",
        "local", host.UnderlayAddress.ToString(), "remote", other.UnderlayAddress.ToString(), "dev", "eth0");
    Ip.In(ns, "link", "set", KernelVxlan, "master", KernelBridge, "up");
    LabPod pod = AddPodOn(host, KernelBridge, podName, cidr);
    Console.WriteLine($"{host.Name}: {KernelVxlan} {host.UnderlayAddress} → {other.UnderlayAddress}, pod {podName} at {cidr} on {KernelBridge}");
    return pod;
}

// A pod (veth MTU as the router's overlay) on `bridge`: the lab's AddPod puts it on `weave`
// (creating it); it is moved and `weave` removed again, so the router later creates its bridge
// itself as it would on a fresh host.
static LabPod AddPodOn(LabHost host, string bridge, string podName, string cidr)
{
    LabPod pod = host.AddPod(podName, cidr, KernelVxlanMtu);
    Ip.In(host.Namespace, "link", "set", pod.HostLink, "nomaster");
    Ip.In(host.Namespace, "link", "set", pod.HostLink, "master", bridge, "up");
    Ip.In(host.Namespace, "link", "del", LabHost.Bridge);
    return pod;
}

// One socat per host: a TAP on a bridge of its own, and UDP to the other host; a pod on the bridge.
static LabPod AddSocatHost(LabHost host, LabHost other, string podName, string cidr, List<LabProcess> socats)
{
    string ns = host.Namespace;
    Ip.In(ns, "link", "add", SocatBridge, "type", "bridge");
    Ip.In(ns, "link", "set", SocatBridge, "up");
    string port = SocatPort.ToString(CultureInfo.InvariantCulture);
    socats.Add(host.Start("socat", $"TUN,tun-type=tap,tun-name={SocatTap},iff-up",
        $"UDP-DATAGRAM:{other.UnderlayAddress}:{port},bind={host.UnderlayAddress}:{port}"));
    var appeared = Stopwatch.StartNew();
    while (!host.Links().Contains(SocatTap))
    {
        if (appeared.Elapsed > TimeSpan.FromSeconds(10))
        {
            throw new InvalidOperationException($"{host.Name}: socat made no {SocatTap} within 10 s\n{socats[^1].Output}");
        }
        Thread.Sleep(50);
    }
    Ip.In(ns, "link", "set", SocatTap, "master", SocatBridge);
    LabPod pod = AddPodOn(host, SocatBridge, podName, cidr);
    Console.WriteLine($"{host.Name}: socat {SocatTap} ↔ UDP {other.UnderlayAddress}:{port}, pod {podName} at {cidr} on {SocatBridge}");
    return pod;
}

// Waits until the two pods reach each other both ways, then pings from the client to the server.
PingStats ReachAndPing(string name, LabPod server, LabPod client, LabProcess[] processes)
{
    foreach ((LabPod from, LabPod to) in new[] { (client, server), (server, client) })
    {
        if (!from.WaitForPing(to.Address, TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"{name}: {from.Name} got no ping reply from {to.Name} ({to.Address}) within 30 s\n{string.Join("\n", processes.Select(r => r.Output))}");
        }
    }
    Console.WriteLine($"{name}: {client.Name} ({client.Address}) and {server.Name} ({server.Address}) reach each other");

    PingStats ping = Ping(client, server.Address, pings, pingInterval);
    Console.WriteLine($"{name}: ping {ping.Received}/{ping.Sent}: avg {ping.Avg:0.000} p50 {ping.P50:0.000} p99 {ping.P99:0.000} max {ping.Max:0.000} ms");
    return ping;
}

Setup Measure(string name, LabPod server, LabPod client, LabProcess[] routers)
{
    PingStats ping = ReachAndPing(name, server, client, routers);
    var setup = new Setup(name, ping);
    foreach (int parallel in new[] { 1, streams })
    {
        for (int r = 1; r <= runs; r++)
        {
            IperfResult result = Iperf(server, client, parallel, seconds, routers);
            (parallel == 1 ? setup.Single : setup.Multi).Add(result.Gbps);
            (parallel == 1 ? setup.SingleRetransmits : setup.MultiRetransmits).Add(result.Retransmits);
            (parallel == 1 ? setup.SingleCpuPerGigabit : setup.MultiCpuPerGigabit).Add(result.CoreSecondsPerGigabit);
            string cpu = result.RouterCpuPercent.Length == 0 ? "" : $", router CPU {string.Join(" / ", result.RouterCpuPercent.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))} %";
            if (result.RouterCpuPercent.Length > 0)
            {
                setup.RouterCpu.Add($"{parallel}×: {string.Join(" / ", result.RouterCpuPercent.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))}");
            }
            Console.WriteLine($"{name}: TCP {parallel} stream(s), run {r}: {result.Gbps:0.000} Gbit/s, {result.Retransmits} retransmits{cpu}, machine {result.CoreSecondsPerGigabit:0.000} core-s/Gbit");
        }
    }
    return setup;
}

static PingStats Ping(LabPod client, IPAddress target, int count, double interval)
{
    CommandResult result = client.Exec(TimeSpan.FromSeconds(30 + (count * interval)), "ping", "-n", "-c", count.ToString(CultureInfo.InvariantCulture),
        "-i", interval.ToString(CultureInfo.InvariantCulture), "-W", "1", target.ToString());
    double[] rtts = [.. Regex.Matches(result.Stdout, @"time=([0-9.]+) ms").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order()];
    if (rtts.Length == 0)
    {
        throw new InvalidOperationException($"no ping replies: {result}");
    }
    return new PingStats(count, rtts.Length, rtts.Average(), Percentile(rtts, 0.50), Percentile(rtts, 0.99), rtts[0], rtts[^1]);
}

// iperf3 -s -1 in the server pod (one test, then it exits; --idle-timeout in case the client never
// comes), the client in the other pod with a connect timeout and a process timeout.
static IperfResult Iperf(LabPod server, LabPod client, int parallel, int seconds, LabProcess[] routers)
{
    string port = IperfPort.ToString(CultureInfo.InvariantCulture);
    LabProcess iperfServer = server.Start("iperf3", "-s", "-1", "-p", port, "--idle-timeout", (seconds + 30).ToString(CultureInfo.InvariantCulture));
    try
    {
        if (!Eventually.True(() => iperfServer.HasExited || server.Exec(TimeSpan.FromSeconds(5), "ss", "-Hltn", $"sport = :{port}").Stdout.Trim().Length > 0,
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20)) || iperfServer.HasExited)
        {
            throw new InvalidOperationException($"iperf3 server in {server.Name} is not listening: {iperfServer.Output}");
        }
        long[] before = [.. routers.Select(r => CpuTicks(r.Pid))];
        long busyBefore = MachineBusyTicks();
        var clock = Stopwatch.StartNew();
        CommandResult result = client.Exec(TimeSpan.FromSeconds(seconds + 30), "iperf3", "-c", server.Address.ToString(), "-p", port,
            "-t", seconds.ToString(CultureInfo.InvariantCulture), "-P", parallel.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "5000");
        double elapsed = clock.Elapsed.TotalSeconds;
        long busyAfter = MachineBusyTicks();
        long[] after = [.. routers.Select(r => CpuTicks(r.Pid))];
        using JsonDocument json = JsonDocument.Parse(result.Stdout.Length > 0 ? result.Stdout : "{}");
        if (!result.Succeeded || json.RootElement.TryGetProperty("error", out _) || !json.RootElement.TryGetProperty("end", out JsonElement end))
        {
            throw new InvalidOperationException($"iperf3 client failed: {result}\nserver: {iperfServer.Output}");
        }
        double bps = end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        int retransmits = end.TryGetProperty("sum_sent", out JsonElement sent) && sent.TryGetProperty("retransmits", out JsonElement rt) ? rt.GetInt32() : -1;
        double[] cpu = [.. before.Zip(after, (b, a) => 100.0 * (a - b) / ClockTicks / elapsed)];
        // Whole-machine CPU per gigabit: kernel VXLAN works in softirq, the router in its threads;
        // busy time of every core (iperf3 included, in both setups) over the gigabits carried.
        double gigabits = bps / 1e9 * end.GetProperty("sum_received").GetProperty("seconds").GetDouble();
        double coreSecondsPerGigabit = (busyAfter - busyBefore) / (double)ClockTicks / gigabits;
        return new IperfResult(bps / 1e9, retransmits, cpu, coreSecondsPerGigabit);
    }
    finally
    {
        if (!iperfServer.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            iperfServer.Kill();
        }
        iperfServer.Dispose();
    }
}

static void CheckRunning(LabProcess[] routers)
{
    foreach (LabProcess process in routers)
    {
    if (process.HasExited)
    {
        throw new InvalidOperationException($"{process} exited {process.ExitCode} during the benchmark:\n{process.Output}");
    }
    }
}

// The routers stopped, their pods' veths and the bridges they made removed, for the next setup.
// The fast path carries a pod's frames once the other host's router pinned its MAC, which it does
// within a second of seeing the pod's first frames: measured from then, as a steady state.
static void WaitForPins(LabPod pod1, LabPod pod2, LabProcess[] routers)
{
    foreach ((LabPod from, LabPod to) in new[] { (pod1, pod2), (pod2, pod1) })
    {
        if (!from.WaitForPing(to.Address, TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"{from.Name} got no ping reply from {to.Name}\n{string.Join("\n", routers.Select(r => r.Output))}");
        }
    }
    var waited = Stopwatch.StartNew();
    foreach ((LabPod pod, LabPod other) in new[] { (pod1, pod2), (pod2, pod1) })
    {
        string mac = other.Exec("cat", "/sys/class/net/eth0/address").EnsureSuccess().Stdout.Trim();
        while (!pod.Host.Exec("bridge", "fdb", "show", "dev", "vxlan-6784").Stdout.Split('\n')
            .Any(line => line.StartsWith(mac + " ", StringComparison.Ordinal) && line.Contains(" master ", StringComparison.Ordinal)))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"{pod.Host.Name} did not pin {other.Name}'s {mac} to vxlan-6784 within 15 s\n{string.Join("\n", routers.Select(r => r.Output))}");
            }
            Thread.Sleep(100);
        }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fast path: both pods' MACs pinned after {waited.Elapsed.TotalSeconds:0.0} s"));
}

static void RemoveRouters(LabProcess[] routers, LabPod pod1, LabPod pod2)
{
    foreach (LabProcess process in routers)
    {
        process.Stop();
    }
    foreach (LabPod pod in new[] { pod1, pod2 })
    {
        Ip.In(pod.Host.Namespace, "link", "del", pod.HostLink);
        if (pod.Host.Links().Contains(LabHost.Bridge))
        {
            Ip.In(pod.Host.Namespace, "link", "del", LabHost.Bridge);
        }
    }
}

static (LabProcess[] Routers, LabPod Pod1, LabPod Pod2) StartRouters(LabHost host1, LabHost host2, string podPrefix, string[] flags, string? weaveBinary = null)
{
    weaveBinary ??= Repo.RequireWeaveBinary();
    LabProcess router1 = host1.StartRouterBinary(weaveBinary, flags);
    LabProcess router2 = host2.StartRouterBinary(weaveBinary, [.. flags, host1.UnderlayAddress.ToString()]);
    LabProcess[] routers = [router1, router2];
    foreach ((LabHost host, LabProcess process) in new[] { (host1, router1), (host2, router2) })
    {
        if (!Eventually.True(() => process.HasExited || host.Links().Contains(LabHost.Bridge), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50))
            || process.HasExited)
        {
            throw new InvalidOperationException($"{host.Name}: no bridge {LabHost.Bridge} within 30 s (router {(process.HasExited ? $"exited {process.ExitCode}" : "running")}):\n{process.Output}");
        }
    }
    Match ready = Regex.Match(router1.Output, @"MTU (\d+)");
    Console.WriteLine($"routers up (pids {router1.Pid}, {router2.Pid}); router1 reports MTU {(ready.Success ? ready.Groups[1].Value : "?")}");
    LabPod pod1 = host1.AddPod(podPrefix + "1", "10.32.0.1/12");
    LabPod pod2 = host2.AddPod(podPrefix + "2", "10.32.0.2/12");
    return (routers, pod1, pod2);
}

static void Row(StringBuilder table, string label, double kernel, double router, double? userspace, double? sealedRouter, string format)
{
    table.Append(CultureInfo.InvariantCulture, $"| {label} | {kernel.ToString(format, CultureInfo.InvariantCulture)} |");
    foreach (double? value in new[] { router, userspace, sealedRouter })
    {
        if (value is double v)
        {
            table.Append(CultureInfo.InvariantCulture, $" {v.ToString(format, CultureInfo.InvariantCulture)} | {(v / kernel).ToString("0.00", CultureInfo.InvariantCulture)} |");
        }
    }
    table.Append('\n');
}

static string Runs(List<double> values) => string.Join(" / ", values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));

static double Median(List<double> values)
{
    double[] sorted = [.. values.Order()];
    int mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Nearest rank: the smallest sample with at least p of all samples at or below it.
static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

// utime + stime in clock ticks.
static long CpuTicks(int pid)
{
    string stat = File.ReadAllText($"/proc/{pid}/stat");
    string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
}

// Busy jiffies of all cores from /proc/stat: everything but idle and iowait.
static long MachineBusyTicks()
{
    string line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
    long[] values = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    return values.Take(8).Sum() - values[3] - values[4];
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

internal sealed record PingStats(int Sent, int Received, double Avg, double P50, double P99, double Min, double Max);

internal sealed record IperfResult(double Gbps, int Retransmits, double[] RouterCpuPercent, double CoreSecondsPerGigabit);

internal sealed class Setup(string name, PingStats ping)
{
    public string Name { get; } = name;

    public PingStats Ping { get; } = ping;

    public List<double> Single { get; } = [];

    public List<double> Multi { get; } = [];

    public List<int> SingleRetransmits { get; } = [];

    public List<int> MultiRetransmits { get; } = [];

    public List<string> RouterCpu { get; } = [];

    public List<double> SingleCpuPerGigabit { get; } = [];

    public List<double> MultiCpuPerGigabit { get; } = [];
}
