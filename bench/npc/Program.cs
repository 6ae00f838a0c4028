using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Bench.Npc;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Lab;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Weave.Router.Policy;

// bench/npc: NetworkPolicy enforcement (issue 20's goals: 1,000 pods × 200 policies applied within
// 1 s of an event; pod-to-pod throughput with 500 policies at least 0.9× of none).
//
// 1. Controller. PolicyController (weave npc's loop) over a synthetic cluster (--pods, --policies,
//    --nodes; SyntheticCluster), its table written by the real nft in a lab namespace. The first
//    write (whole table), then --events rounds of four updates: a policy added, a pod added on this
//    node, a pod of this node relabelled, the policy deleted. Each is timed from the update handed
//    to the loop to Step() returning, that is the nft transaction done: rules in place. Baseline of
//    the same run: the whole table rendered and replaced for the same plan. Memory: the managed
//    heap the controller holds (after a full GC), and the process's RSS.
// 2. Data path. Two pods (namespaces with a veth each) on bridge `weave` of a lab host with
//    br_netfilter on: iperf3 TCP throughput for --seconds, and new TCP connections per second
//    (connect, RST close) for --seconds, with no table, then with --throughput-policies policies
//    isolating the server, each with a rule of its own, the client's match last (the worst case:
//    the server's chain has that many rules). Alternated --rounds times; medians and ratios.
//
//   dotnet bin/Release/net10.0/linux-x64/NpcBench.dll [--pods 1000] [--policies 200] [--nodes 10] [--events 20]
//       [--throughput-policies 500] [--seconds 5] [--rounds 3]

int pods = 1000, policies = 200, nodes = 10, events = 20, throughputPolicies = 500, seconds = 5, rounds = 3;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--pods": pods = value; break;
        case "--policies": policies = value; break;
        case "--nodes": nodes = value; break;
        case "--events": events = value; break;
        case "--throughput-policies": throughputPolicies = value; break;
        case "--seconds": seconds = value; break;
        case "--rounds": rounds = value; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
if (!NftCommand.TryFind(out NftCommand? realNft))
{
    Console.Error.WriteLine("npc: nft is not installed");
    return 1;
}
string tag = Guid.NewGuid().ToString("N")[..6];
string host = "npcb-h-" + tag, client = "npcb-c-" + tag, server = "npcb-s-" + tag;
var created = new List<string>();
try
{
    foreach (string ns in (string[])[host, client, server])
    {
        Ip.Run("netns", "add", ns).EnsureSuccess();
        created.Add(ns);
    }
    var nft = new NetnsNftables(host, realNft!);
    Console.WriteLine($"# bench/npc {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
    ControllerPart(nft);
    DataPathPart(nft);
    return 0;
}
finally
{
    foreach (string ns in created)
    {
        Ip.Run("netns", "del", ns);
    }
}

void ControllerPart(INftables nft)
{
    var updates = Channel.CreateUnbounded<ResourceUpdate>();
    long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var controller = new PolicyController(SyntheticCluster.LocalNode, new PolicyTable(nft), updates.Reader, null, TimeProvider.System, NullLogger.Instance);
    updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Namespaces, [.. Enumerable.Range(0, 20).Select(SyntheticCluster.Namespace)]));
    updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Pods, [.. Enumerable.Range(0, pods).Select(i => SyntheticCluster.Pod(i, nodes))]));
    updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.NetworkPolicies, [.. Enumerable.Range(0, policies).Select(SyntheticCluster.Policy)]));
    var first = Stopwatch.StartNew();
    controller.Step();
    first.Stop();
    Require(controller, 1);
    long heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
    EnforcementPlan plan = controller.Plan!;
    int rules = plan.Chains.Values.Sum(c => c.Rules.Length);
    Console.WriteLine($"cluster: {pods} pods on {nodes} nodes, {policies} policies, 20 namespaces; this node: {plan.Chains.Count} chains, {rules} rules, "
        + $"{plan.AddressSets.Length + plan.PortSets.Length + plan.EndpointSets.Length} sets; first write (whole table, {controller.Status.LastScriptBytes} B) {first.Elapsed.TotalMilliseconds:0} ms");

    var kinds = new[] { "policy added", "pod added here", "pod relabelled", "policy deleted" };
    var times = kinds.ToDictionary(k => k, _ => new List<double>());
    var bytes = kinds.ToDictionary(k => k, _ => new List<double>());
    var whole = new List<double>();
    var compile = new List<double>();
    long applies = controller.Status.Applies;
    const int warmup = 3; // JIT: weave npc itself is compiled ahead of time
    for (int k = -warmup; k < events; k++)
    {
        // All three touch pods of this node (i mod nodes == 0; ns0 and ns10, which the policies j
        // with j mod 20 = 0 or 10 select): an update elsewhere changes nothing here.
        int policy = policies + 10 + 40 * (warmup + k);
        int pod = pods + (warmup + k) * nodes;
        int relabelled = 10 + 20 * (warmup + k);
        (string Kind, ResourceUpdate Update)[] steps =
        [
            ("policy added", Change(KubeResource.NetworkPolicies, KubeEventKind.Added, SyntheticCluster.Policy(policy))),
            ("pod added here", Change(KubeResource.Pods, KubeEventKind.Added, SyntheticCluster.Pod(pod, nodes))),
            ("pod relabelled", Change(KubeResource.Pods, KubeEventKind.Modified, SyntheticCluster.Pod(relabelled, nodes, app: "a" + ((relabelled / 20 + 7) % 50).ToString(CultureInfo.InvariantCulture)))),
            ("policy deleted", Change(KubeResource.NetworkPolicies, KubeEventKind.Deleted, SyntheticCluster.Policy(policy))),
        ];
        foreach ((string kind, ResourceUpdate update) in steps)
        {
            var watch = Stopwatch.StartNew();
            updates.Writer.TryWrite(update);
            controller.Step();
            watch.Stop();
            if (controller.Status.Applies > applies && k >= 0)
            {
                times[kind].Add(watch.Elapsed.TotalMilliseconds);
                bytes[kind].Add(controller.Status.LastScriptBytes);
                applies = controller.Status.Applies;
            }
            Require(controller, 0);
        }
        applies = controller.Status.Applies;
        if (k < 0)
        {
            continue;
        }
        PolicySnapshot snapshot = controller.Snapshot;
        var c = Stopwatch.StartNew();
        EnforcementPlan compiled = EnforcementCompiler.Compile(snapshot.Namespaces, snapshot.Pods, snapshot.Policies, SyntheticCluster.LocalNode);
        compile.Add(c.Elapsed.TotalMilliseconds);
        var w = Stopwatch.StartNew();
        nft.Apply(NftRuleset.Render(compiled));
        whole.Add(w.Elapsed.TotalMilliseconds);
        // The table was replaced behind the controller's back: start it over from a whole write.
        controller.Check();
    }
    Console.WriteLine();
    Console.WriteLine("| update | changes written | median ms | p95 ms | max ms | median nft script B |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (string kind in kinds)
    {
        Console.WriteLine($"| {kind} | {times[kind].Count}/{events} | {Median(times[kind]):0.0} | {Percentile(times[kind], 0.95):0.0} | {Max(times[kind]):0.0} | {Median(bytes[kind]):0} |");
    }
    Console.WriteLine($"| baseline: whole table replaced (render + nft) | {whole.Count} | {Median(whole):0.0} | {Percentile(whole, 0.95):0.0} | {Max(whole):0.0} | |");
    Console.WriteLine($"| of which compile alone | {compile.Count} | {Median(compile):0.0} | {Percentile(compile, 0.95):0.0} | {Max(compile):0.0} | |");
    double worst = kinds.Max(k => Max(times[k]));
    Console.WriteLine();
    Console.WriteLine($"goal ≤ 1000 ms from update to rules in place: worst {worst:0} ms ({(worst <= 1000 ? "met" : "NOT met")}); "
        + $"incremental vs whole, median of all updates: {Median([.. kinds.SelectMany(k => times[k])]) / Median(whole):0.00}×");
    Console.WriteLine($"memory: controller state {heap / 1048576.0:0.0} MiB managed heap after a full GC; process RSS {Environment.WorkingSet / 1048576.0:0} MiB (JIT and bench included)");
    GC.KeepAlive(controller);
}

void DataPathPart(INftables nft)
{
    Ip.In(host, "link", "add", "weave", "type", "bridge");
    Ip.In(host, "link", "set", "weave", "up");
    Command.Run("ip", "netns", "exec", host, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1").EnsureSuccess();
    var addresses = new Dictionary<string, string> { [client] = "10.32.200.2", [server] = "10.32.200.3" };
    int v = 0;
    foreach ((string ns, string address) in addresses)
    {
        Ip.In(host, "link", "add", $"vb{v}", "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip.In(host, "link", "set", $"vb{v++}", "master", "weave", "up");
        Ip.In(ns, "addr", "add", address + "/16", "dev", "eth0");
        Ip.In(ns, "link", "set", "eth0", "up");
        Ip.In(ns, "link", "set", "lo", "up");
    }
    JsonElement[] namespaces = [JsonDocument.Parse("""{"metadata":{"name":"bench","labels":{"team":"bench"}}}""").RootElement.Clone()];
    JsonElement[] benchPods =
    [
        SyntheticCluster.Pod("bench", "client", addresses[client], SyntheticCluster.LocalNode, [("app", "client")]),
        SyntheticCluster.Pod("bench", "server", addresses[server], SyntheticCluster.LocalNode, [("app", "server")]),
    ];
    JsonElement[] isolating =
    [
        .. Enumerable.Range(0, throughputPolicies - 1).Select(j => SyntheticCluster.ServerPolicy("bench", $"np{j:0000}", $"192.168.{j / 256}.{j % 256}", 10000 + j)),
        SyntheticCluster.ServerPolicy("bench", "zz-client", addresses[client], 9999),
    ];
    EnforcementPlan plan = EnforcementCompiler.Compile(Parse<ClusterNamespace>(namespaces, NamespaceParser.TryParse), Parse<Pod>(benchPods, PodParser.TryParse),
        Parse<NetworkPolicy>(isolating, NetworkPolicyParser.TryParse), SyntheticCluster.LocalNode);
    string table = NftRuleset.Render(plan);
    PodChain chain = plan.Chains.Values.Single();
    int kernelRules = table.Split('\n').SkipWhile(l => !l.Contains($"chain {chain.Name} {{", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.Trim() != "}").Count();
    Console.WriteLine();
    Console.WriteLine($"data path: client {addresses[client]} -> server {addresses[server]} on one bridge with br_netfilter; with policies: {throughputPolicies} isolating the server, "
        + $"chain {chain.Name}: {chain.Rules.Length} policy rules (the client's last), {kernelRules} rules in the kernel");

    using var iperfServer = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", server, "iperf3", "-s"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    using var stop = new CancellationTokenSource();
    Thread acceptor = AcceptLoop(server, 9999, stop.Token);
    Thread.Sleep(500);
    string empty = NftRuleset.Render(EnforcementCompiler.Compile(Parse<ClusterNamespace>(namespaces, NamespaceParser.TryParse), Parse<Pod>(benchPods, PodParser.TryParse),
        [], SyntheticCluster.LocalNode));
    string none = $"add table {NftRuleset.Family} {NftRuleset.Table}\ndelete table {NftRuleset.Family} {NftRuleset.Table}\n";
    string[] modes = ["no table (no conntrack)", "table, no policies", $"{throughputPolicies} policies"];
    string[] scripts = [none, empty, table];
    var gbits = modes.Select(_ => new List<double>()).ToArray();
    var rates = modes.Select(_ => new List<double>()).ToArray();
    try
    {
        for (int r = -1; r < rounds; r++) // round -1 warms up (JIT, caches), not counted
        {
            for (int m = 0; m < modes.Length; m++)
            {
                nft.Apply(scripts[m]);
                if (r < 0 && m == 2 && !Dropped(client, new IPEndPoint(IPAddress.Parse(addresses[server]), 9998)))
                {
                    throw new InvalidOperationException("with the policies in place, a port no rule allows still answered: the table is not enforcing");
                }
                double g = Iperf(client, addresses[server], r < 0 ? 1 : seconds);
                double c = ConnectRate(client, new IPEndPoint(IPAddress.Parse(addresses[server]), 9999), r < 0 ? 1 : seconds);
                if (r >= 0)
                {
                    gbits[m].Add(g);
                    rates[m].Add(c);
                }
            }
        }
    }
    finally
    {
        stop.Cancel();
        iperfServer.Kill();
    }
    Console.WriteLine();
    Console.WriteLine($"| measure (median of {rounds}) | {string.Join(" | ", modes)} | {modes[2]} ÷ {modes[1]} | {modes[2]} ÷ {modes[0]} |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    Console.WriteLine($"| TCP throughput, Gbit/s (iperf3 {seconds} s) | {string.Join(" | ", gbits.Select(g => Median(g).ToString("0.00", CultureInfo.InvariantCulture)))} | "
        + $"{Median(gbits[2]) / Median(gbits[1]):0.00}× | {Median(gbits[2]) / Median(gbits[0]):0.00}× |");
    Console.WriteLine($"| new TCP connections/s ({seconds} s) | {string.Join(" | ", rates.Select(g => Median(g).ToString("0", CultureInfo.InvariantCulture)))} | "
        + $"{Median(rates[2]) / Median(rates[1]):0.00}× | {Median(rates[2]) / Median(rates[0]):0.00}× |");
    for (int m = 0; m < modes.Length; m++)
    {
        Console.WriteLine($"rounds, {modes[m]}: Gbit/s [{string.Join(", ", gbits[m].Select(g => g.ToString("0.00", CultureInfo.InvariantCulture)))}], "
            + $"connections/s [{string.Join(", ", rates[m].Select(g => g.ToString("0", CultureInfo.InvariantCulture)))}]");
    }
}

static ResourceUpdate Change(KubeResource resource, KubeEventKind kind, JsonElement item) =>
    ResourceUpdate.OfChange(resource, new KubeObjectEvent(kind, item, null));

static void Require(PolicyController controller, int minApplies)
{
    if (controller.Status.LastError is { } error || controller.Status.Applies < minApplies)
    {
        throw new InvalidOperationException("the controller did not write the table: " + (controller.Status.LastError ?? "no write"));
    }
}

static T[] Parse<T>(JsonElement[] items, TryParse<T> parse) where T : class =>
    [.. items.Select(i => parse(i, out T? value, out string reason) ? value! : throw new InvalidOperationException(reason))];

static double Iperf(string ns, string to, int seconds)
{
    CommandResult result = Command.Run(TimeSpan.FromSeconds(seconds + 30), "ip", "netns", "exec", ns, "iperf3", "-c", to, "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J");
    result.EnsureSuccess();
    using var json = JsonDocument.Parse(result.Stdout);
    return json.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9;
}

static double ConnectRate(string ns, IPEndPoint to, int seconds) => NetNs.Run(ns, () =>
{
    int connections = 0;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { LingerState = new LingerOption(true, 0) };
        socket.Connect(to);
        connections++;
    }
    return connections / watch.Elapsed.TotalSeconds;
});

// Nothing listens on the port: without a drop the kernel answers RST at once.
static bool Dropped(string ns, IPEndPoint to) => NetNs.Run(ns, () =>
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    try
    {
        return !socket.ConnectAsync(to).Wait(TimeSpan.FromMilliseconds(500));
    }
    catch (AggregateException)
    {
        return false; // refused: it got through
    }
});

static Thread AcceptLoop(string ns, int port, CancellationToken stop)
{
    Socket listener = NetNs.Run(ns, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Any, port));
        s.Listen(1024);
        return s;
    });
    stop.Register(listener.Dispose);
    var thread = new Thread(() =>
    {
        try
        {
            while (true)
            {
                listener.Accept().Dispose();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }) { IsBackground = true };
    thread.Start();
    return thread;
}

static double Median(List<double> values) => Percentile(values, 0.5);

static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0)
    {
        return double.NaN;
    }
    double[] sorted = [.. values.Order()];
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

internal delegate bool TryParse<T>(JsonElement json, out T? value, out string reason);
