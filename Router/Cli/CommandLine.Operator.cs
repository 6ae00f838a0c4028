using System.CommandLine;
using System.Globalization;
using System.Net;

namespace Weave.Router.Cli;

/// <summary>The operator's commands around a running router: expose, hide, stop, reset, report.</summary>
public static partial class CommandLine
{
    /// <summary>How long <c>weave stop</c> and <c>weave reset</c> wait for a router to stop (it removes its TAP and closes its API last).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private static Command BuildExpose()
    {
        var httpAddr = HttpAddrOption();
        var cidr = new Argument<string?>("IP/PLEN") { Arity = ArgumentArity.ZeroOrOne, Description = "An address of the range with its prefix length (default: one allocated in the default subnet)" };
        var expose = new Command("expose", "Give the host an address of the range on the bridge, so it reaches the pods (allocated to weave:expose)") { httpAddr, cidr };
        expose.SetAction(async (parsed, ct) =>
        {
            string path = parsed.GetValue(cidr) is { } given ? "/expose/" + AddressPath(given, requirePrefix: true) : "/expose";
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            Console.WriteLine((await client.PostFormAsync(path, [], ct).ConfigureAwait(false)).TrimEnd());
            return 0;
        });
        return expose;
    }

    private static Command BuildHide()
    {
        var httpAddr = HttpAddrOption();
        var cidr = new Argument<string?>("IP[/PLEN]") { Arity = ArgumentArity.ZeroOrOne, Description = "The exposed address to take off (default: every address of weave:expose)" };
        var hide = new Command("hide", "Take an exposed address off the bridge and release it") { httpAddr, cidr };
        hide.SetAction(async (parsed, ct) =>
        {
            string path = parsed.GetValue(cidr) is { } given ? "/expose/" + AddressPath(given, requirePrefix: false) : "/expose";
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            Console.Write(await client.DeleteAsync(path, ct).ConfigureAwait(false));
            return 0;
        });
        return hide;
    }

    private static Command BuildStop()
    {
        var httpAddr = HttpAddrOption();
        var stop = new Command("stop", "Stop the router on this host (as SIGTERM would) and wait until it has") { httpAddr };
        stop.SetAction(async (parsed, ct) =>
        {
            string api = RouterClient.ResolveAddress(parsed.GetValue(httpAddr));
            if (!NodeReset.RouterAnswers(api))
            {
                Console.WriteLine($"no router answers at {api}: nothing to stop");
                return 0;
            }
            await StopRouterAsync(api, ct).ConfigureAwait(false);
            return 0;
        });
        return stop;
    }

    /// <summary><c>POST /stop</c>, then waits until the API no longer answers: the router closes it after everything else.</summary>
    private static async Task StopRouterAsync(string api, CancellationToken ct)
    {
        using (var client = new RouterClient(api))
        {
            _ = await client.PostFormAsync("/stop", [], ct).ConfigureAwait(false);
        }
        DateTime until = DateTime.UtcNow + StopTimeout;
        while (NodeReset.RouterAnswers(api))
        {
            if (DateTime.UtcNow > until)
            {
                throw new CliException($"the router at {api} still answers {StopTimeout.TotalSeconds:0} s after it was asked to stop");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        }
    }

    private static Command BuildReport()
    {
        var httpAddr = HttpAddrOption();
        var format = new Option<string?>("--format", "-f")
        {
            Description = "Print only what this template says, e.g. '{{.Router.Name}}' or '{{range .Router.Connections}}{{.Address}} {{.State}}{{\"\\n\"}}{{end}}' (a subset of Go templates: docs/operations.md)",
        };
        var report = new Command("report", "Print the router's full state as JSON, or parts of it with -f") { httpAddr, format };
        report.SetAction(async (parsed, ct) =>
        {
            ReportTemplate? template = null;
            if (parsed.GetValue(format) is { } text)
            {
                // Checked before asking the router, so a typo fails the same with the router down.
                template = ReportTemplate.Parse(text);
            }
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            string json = await client.GetTextAsync("/report", ct).ConfigureAwait(false);
            Console.Write(template is null ? json : template.Render(json));
            return 0;
        });
        return report;
    }

    private static Command BuildReset()
    {
        NodeReset.Paths defaults = NodeReset.DefaultPaths;
        var httpAddr = HttpAddrOption();
        var binDir = new Option<string>("--bin-dir") { Description = "Where the CNI plugin was installed", DefaultValueFactory = _ => defaults.BinDirectory };
        var legacyBinDir = new Option<string>("--legacy-bin-dir") { Description = "The second plugin directory (empty: none)", DefaultValueFactory = _ => defaults.LegacyBinDirectory! };
        var confDir = new Option<string>("--conf-dir") { Description = "Where the conflist was written", DefaultValueFactory = _ => defaults.ConfDirectory };
        var dataDir = new Option<string>("--data-dir") { Description = "The router's data directory", DefaultValueFactory = _ => defaults.DataDirectory };
        var wait = new Option<bool>("--wait") { Description = "Wait for a running router to stop by itself (no hand-off), and after the reset stay running until signalled (for a DaemonSet)" };
        var doneFile = new Option<string?>("--done-file") { Description = "A file created once the node is clean: the signal for a DaemonSet's readiness probe" };
        var reset = new Command("reset",
            "Remove what the router and the add-on made on this node: VXLAN device, bridge, links, nftables tables, CNI plugin and conflist, state. " +
            "A running router first hands its address space to its peers and is stopped (with --wait: waited for)")
        {
            httpAddr, binDir, legacyBinDir, confDir, dataDir, wait, doneFile,
        };
        reset.SetAction(async (parsed, ct) =>
        {
            string api = RouterClient.ResolveAddress(parsed.GetValue(httpAddr));
            bool waiting = parsed.GetValue(wait);
            if (!waiting && NodeReset.RouterAnswers(api))
            {
                await HandOffAndStopAsync(api, ct).ConfigureAwait(false);
            }
            bool said = false;
            while (NodeReset.RouterAnswers(api))
            {
                if (!said)
                {
                    Console.WriteLine($"waiting for the router at {api} to stop");
                    said = true;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            var paths = new NodeReset.Paths(parsed.GetValue(binDir)!, parsed.GetValue(legacyBinDir), parsed.GetValue(confDir)!, parsed.GetValue(dataDir)!,
                defaults.Bridge);
            IReadOnlyList<string> removed = NodeReset.Run(paths);
            foreach (string line in removed)
            {
                Console.WriteLine("removed " + line);
            }
            Console.WriteLine(removed.Count == 0 ? "reset: nothing of weave's was left on this node" : $"reset: {removed.Count} removed");
            if (parsed.GetValue(doneFile) is { Length: > 0 } done)
            {
                // Only now: a pod that is merely running says nothing of the node (`rollout status`
                // would pass while links and tables are still being removed).
                try
                {
                    await File.WriteAllTextAsync(done, "clean\n", ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"reset: the node is clean, but --done-file {done} cannot be written: {e.Message}");
                }
            }
            if (waiting)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Signalled: the DaemonSet is being deleted.
                }
            }
            return 0;
        });
        return reset;
    }

    /// <summary>
    /// Weave's <c>weave reset</c> on a running router: its address space goes to the peers it
    /// reaches (<c>DELETE /peer</c>), so none is stranded, then it is stopped. A hand-off that
    /// cannot happen (no peer reachable, range not seeded) is said and does not stop the reset: the
    /// space then stays with this peer's name until <c>weave rmpeer</c> on another.
    /// </summary>
    private static async Task HandOffAndStopAsync(string api, CancellationToken ct)
    {
        using (var client = new RouterClient(api))
        {
            try
            {
                Console.WriteLine("handed off: " + (await client.DeleteAsync("/peer", ct).ConfigureAwait(false)).Trim());
            }
            catch (CliException e)
            {
                Console.WriteLine($"address space not handed off: {e.Message}; other peers can take it over with `weave rmpeer`");
            }
        }
        await StopRouterAsync(api, ct).ConfigureAwait(false);
        Console.WriteLine($"stopped the router at {api}");
    }

    /// <summary>
    /// <c>IP/PLEN</c> (or <c>IP</c> when <paramref name="requirePrefix"/> is false) as the path
    /// <c>{ip}/{plen}</c> or <c>{ip}</c>, checked here first so a typo fails before any request.
    /// </summary>
    private static string AddressPath(string given, bool requirePrefix)
    {
        string[] parts = given.Split('/');
        string expected = requirePrefix ? "IP/PLEN like 10.32.0.1/12" : "IP or IP/PLEN like 10.32.0.1/12";
        if (parts.Length > 2 || (requirePrefix && parts.Length != 2) ||
            !IPAddress.TryParse(parts[0], out IPAddress? address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork ||
            parts[0].Count(c => c == '.') != 3)
        {
            throw new CliException($"'{given}' is not an IPv4 address: expected {expected}");
        }
        if (parts.Length == 1)
        {
            return address.ToString();
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefixLength) || prefixLength > 32)
        {
            throw new CliException($"'{given}' has no prefix length of 0 to 32: expected {expected}");
        }
        return $"{address}/{prefixLength}";
    }
}
