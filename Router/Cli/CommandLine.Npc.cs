using System.CommandLine;
using System.Net;
using Weave.Router.Kubernetes;
using Weave.Router.Policy;

namespace Weave.Router.Cli;

/// <summary><c>weave npc</c>: the NetworkPolicy controller, and the operator's questions to it.</summary>
public static partial class CommandLine
{
    private const string NpcAddressVariable = "WEAVE_NPC_ADDR";
    private const int DefaultDropLogRate = 10;

    /// <summary>A log line per dropped packet: a thousand a second is already a flood to read.</summary>
    private const int MaxDropLogRate = 1000;

    private static int DropLogRateFromEnvironment(string? value) =>
        string.IsNullOrEmpty(value) ? DefaultDropLogRate
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int rate) ? rate
        : throw new CliException($"WEAVE_NPC_DROP_LOG_RATE '{value}': want a number of packets a second (0: no logging)");

    private static Command BuildNpc()
    {
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name (default $HOSTNAME, which the DaemonSet sets to spec.nodeName)" };
        var addr = NpcAddrOption();
        var metricsAddr = new Option<string?>("--metrics-addr") { Description = "A second address serving /metrics only, for a scraper (default $WEAVE_NPC_METRICS_ADDR, else none)" };
        var dropLogRate = new Option<int?>("--drop-log-rate") { Description = $"Dropped packets logged per second on this node, at most (default $WEAVE_NPC_DROP_LOG_RATE, else {DefaultDropLogRate}; 0: none, drops are still counted)" };
        var logLevel = new Option<string>("--log-level") { Description = "debug, info, warning or error", DefaultValueFactory = _ => "info" };
        logLevel.AcceptOnlyFromAmong("debug", "info", "warning", "error");
        var npc = new Command("npc", "Run the NetworkPolicy controller for this node (in the DaemonSet), or ask it")
        {
            nodeName, addr, metricsAddr, dropLogRate, logLevel,
        };
        npc.SetAction(async (parsed, ct) =>
        {
            string node = parsed.GetValue(nodeName) is { Length: > 0 } given ? given : KubernetesMode.NodeName;
            IPEndPoint local = ParseEndPoint("--addr", ResolveNpcAddress(parsed.GetValue(addr)));
            string? metricsText = parsed.GetValue(metricsAddr) is { Length: > 0 } m ? m : Environment.GetEnvironmentVariable("WEAVE_NPC_METRICS_ADDR");
            IPEndPoint? metrics = string.IsNullOrEmpty(metricsText) ? null : ParseEndPoint("--metrics-addr", metricsText);
            int rate = parsed.GetValue(dropLogRate) ?? DropLogRateFromEnvironment(Environment.GetEnvironmentVariable("WEAVE_NPC_DROP_LOG_RATE"));
            if (rate is < 0 or > MaxDropLogRate)
            {
                throw new CliException($"--drop-log-rate {rate}: want 0 (no logging) to {MaxDropLogRate} packets a second");
            }
            return await RunUntilStoppedAsync(parsed.GetValue(logLevel)!, (logs, ct) => NpcHost.RunAsync(node, local, metrics, rate, logs, ct)).ConfigureAwait(false);
        });
        npc.Subcommands.Add(BuildNpcExplain());
        npc.Subcommands.Add(BuildNpcStatus());
        return npc;
    }

    private static Command BuildNpcExplain()
    {
        var addr = NpcAddrOption();
        var source = new Argument<string>("SRC") { Description = "The source: a pod as namespace/name, or an address" };
        var destination = new Argument<string>("DST") { Description = "The destination: a pod as namespace/name, or an address" };
        var port = new Argument<string>("PORT") { Description = "The destination port and protocol, e.g. 80/TCP (TCP when omitted)" };
        var explain = new Command("explain", "Say whether NetworkPolicy allows a new connection, and which policies and rules decide it")
        {
            addr, source, destination, port,
        };
        explain.SetAction(async (parsed, ct) =>
        {
            using var client = NpcClient(parsed.GetValue(addr));
            string query = "/explain?from=" + Uri.EscapeDataString(parsed.GetValue(source)!) + "&to=" + Uri.EscapeDataString(parsed.GetValue(destination)!)
                + "&port=" + Uri.EscapeDataString(parsed.GetValue(port)!);
            Console.Write(await client.GetTextAsync(query, ct).ConfigureAwait(false));
            return 0;
        });
        return explain;
    }

    private static Command BuildNpcStatus()
    {
        var addr = NpcAddrOption();
        var status = new Command("status", "Show the policy controller's status") { addr };
        status.SetAction(async (parsed, ct) =>
        {
            using var client = NpcClient(parsed.GetValue(addr));
            Console.Write(await client.GetTextAsync("/status", ct).ConfigureAwait(false));
            return 0;
        });
        return status;
    }

    private static RouterClient NpcClient(string? flag) =>
        new(ResolveNpcAddress(flag), "the policy controller", "is `weave npc` running (the weave-npc container)?");

    private static string ResolveNpcAddress(string? flag) =>
        !string.IsNullOrEmpty(flag) ? flag
        : Environment.GetEnvironmentVariable(NpcAddressVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : $"127.0.0.1:{NpcServer.DefaultPort}";

    private static Option<string?> NpcAddrOption() =>
        new("--addr") { Description = $"The policy controller's local address (default ${NpcAddressVariable} or 127.0.0.1:{NpcServer.DefaultPort})" };

    private static IPEndPoint ParseEndPoint(string flag, string text) =>
        IPEndPoint.TryParse(text, out IPEndPoint? endPoint) && text.Contains(':', StringComparison.Ordinal)
            ? endPoint
            : throw new CliException($"{flag} '{text}': want ADDRESS:PORT, e.g. 127.0.0.1:{NpcServer.DefaultPort}");
}
