using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Gossip.Mesh;
using Weave.Router.Mesh;

namespace Weave.Router.Cli;

/// <summary>
/// The <c>weave</c> command line: Weave Net's commands and flag names. Parse errors and failures
/// print one line on stderr (<c>weave: ...</c>) and exit non-zero.
/// </summary>
public static partial class CommandLine
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        RootCommand root = Build();
        ParseResult parsed = root.Parse(LaunchEnvironment.WithExtraArgs(args, Environment.GetEnvironmentVariable("EXTRA_ARGS")));
        if (parsed.Errors.Count > 0)
        {
            string message = string.Join(' ', parsed.Errors[0].Message.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
            await Console.Error.WriteLineAsync($"weave: {message} (see `weave --help`)").ConfigureAwait(false);
            return ExitUsage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LaunchException or CliException)
        {
            await Console.Error.WriteLineAsync($"weave: {OneLine(e.Message)}").ConfigureAwait(false);
            return ExitFailure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Our bug, not the operator's input: still one line (the rule for every failure), and
            // the whole exception only when asked for with --log-level debug.
            await Console.Error.WriteLineAsync($"weave: unexpected error (a bug, please report it): {e.GetType().Name}: {OneLine(e.Message)}").ConfigureAwait(false);
            if (parsed.GetResult("--log-level") is { } level && level.Tokens.Any(t => t.Value == "debug"))
            {
                await Console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }
            return ExitFailure;
        }
    }

    /// <summary>A message as one line: values echoed from input may hold newlines or other control characters.</summary>
    internal static string OneLine(string message) =>
        string.Concat(message.Trim().Select(c => char.IsControl(c) ? '?' : c));

    private static RootCommand Build()
    {
        var root = new RootCommand("weave: a Weave Net-style overlay network router for Kubernetes");
        root.Subcommands.Add(BuildLaunch());
        root.Subcommands.Add(BuildStatus());
        root.Subcommands.Add(BuildConnect());
        root.Subcommands.Add(BuildForget());
        root.Subcommands.Add(BuildRmpeer());
        root.Subcommands.Add(BuildPs());
        root.Subcommands.Add(BuildInstallCni());
        root.Subcommands.Add(BuildReset());
        root.Subcommands.Add(BuildStop());
        root.Subcommands.Add(BuildExpose());
        root.Subcommands.Add(BuildHide());
        root.Subcommands.Add(BuildReport());
        root.Subcommands.Add(BuildNpc());
        var version = new Command("version", "Print the version");
        version.SetAction(_ => Console.WriteLine($"weave {RouterHost.Info.Version}"));
        root.Subcommands.Add(version);
        return root;
    }

    private static Command BuildStatus()
    {
        var httpAddr = HttpAddrOption();
        var what = new Argument<string?>("WHAT") { Arity = ArgumentArity.ZeroOrOne, Description = "peers, connections, ipam or targets" };
        what.AcceptOnlyFromAmong("peers", "connections", "ipam", "targets");
        var status = new Command("status", "Show the router's status") { httpAddr, what };
        status.SetAction(async (parsed, ct) =>
        {
            string? sub = parsed.GetValue(what);
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            string text = await client.GetTextAsync(sub is null ? "/status" : "/status/" + sub, ct).ConfigureAwait(false);
            Console.Write(text);
            return 0;
        });
        return status;
    }

    private static Command BuildLaunch()
    {
        var name = new Option<string?>("--name") { Description = "Peer name as aa:bb:cc:dd:ee:ff (default: stable per machine, saved in the data directory)" };
        var nickname = new Option<string?>("--nickname") { Description = "Peer nickname (default: the host name; with --kubernetes, $HOSTNAME, the node's name)" };
        var port = new Option<int>("--port") { Description = "TCP port of the mesh; VXLAN uses UDP port+1", DefaultValueFactory = _ => RouterOptions.DefaultPort };
        var host = new Option<string?>("--host") { Description = "Address to listen on (default: all)" };
        var mtu = new Option<int?>("--mtu") { Description = "Overlay MTU of the bridge and pods (default $WEAVE_MTU, else the underlay link's MTU less 56 bytes of encapsulation)" };
        var httpAddr = new Option<string?>("--http-addr") { Description = "Local HTTP API address (default $WEAVE_HTTP_ADDR, else 127.0.0.1:6784)" };
        var metricsAddr = new Option<string?>("--metrics-addr") { Description = "Prometheus /metrics address (default $WEAVE_METRICS_ADDR, else 127.0.0.1:6782; off or empty: none)" };
        var statusAddr = new Option<string?>("--status-addr") { Description = "Read-only status, report and metrics address (default $WEAVE_STATUS_ADDR, else none)" };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory of state kept across restarts (default {RouterOptions.DefaultDataDirectory})" };
        var connLimit = new Option<int>("--conn-limit") { Description = "Most connections to other peers; 0 means unlimited (default $CONN_LIMIT, else 200)", DefaultValueFactory = _ => RouterOptions.DefaultConnectionLimit };
        var noDiscovery = new Option<bool>("--no-discovery") { Description = "Dial only the given peers, not the peers they are connected to" };
        var noFastDp = new Option<bool>("--no-fastdp") { Description = "Carry data in userspace only, not through the kernel's VXLAN device (default off unless $WEAVE_NO_FASTDP is set)" };
        var ipallocRange = new Option<string?>("--ipalloc-range") { Description = $"Pod address range shared by all peers (default $IPALLOC_RANGE, else {RouterOptions.DefaultIpamRange})" };
        var ipallocDefaultSubnet = new Option<string?>("--ipalloc-default-subnet") { Description = "Subnet of the range where addresses are allocated by default (default: the range)" };
        var ipallocInit = new Option<string?>("--ipalloc-init") { Description = "How the range is first split: consensus[=N] (default, N = initial peers; with --kubernetes, the nodes), seed=NAME,... or observer (default $IPALLOC_INIT)" };
        var password = new Option<string?>("--password") { Description = "Encrypt and authenticate traffic between peers with this password (default $WEAVE_PASSWORD); every peer needs the same one" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the password from this file (default $WEAVE_PASSWORD_FILE; one trailing newline is ignored)" };
        var trustedSubnets = new Option<string?>("--trusted-subnets") { Description = "Comma-separated CIDRs of peers whose data may go unencrypted: with a password, data between two peers goes as plain VXLAN when each one's address is in the other's trusted subnets (control stays encrypted)" };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Run as the cluster's network add-on: peers from the Nodes (or $KUBE_PEERS), deleted nodes' address space reclaimed, the node's NetworkUnavailable condition set, the host's netfilter (masquerade, port protection) kept in nftables table 'weave'" };
        var exposeIp = new Option<string?>("--expose-ip") { Description = "With --kubernetes: the bridge's address for the host (default $WEAVE_EXPOSE_IP, else one allocated from the range)" };
        var noMasqLocal = new Option<bool>("--no-masq-local") { Description = "With --kubernetes: traffic from outside the range to this node's pods keeps its source address (default on with --kubernetes unless $NO_MASQ_LOCAL=0)" };
        var cluster = new Option<string?>("--cluster") { Description = "Name of this router's cluster: routers of one cluster share the range and its allocation, other clusters are peered (default $WEAVE_CLUSTER, else the range as a name, such as 10-32-0-0-12)" };
        var peerClusters = new Option<string?>("--peer-clusters") { Description = "Comma-separated names of the other clusters to peer with; empty: none (default $WEAVE_PEER_CLUSTERS, else any whose range does not overlap ours)" };
        var remotePeers = new Option<string?>("--remote-peers") { Description = "Routers of other clusters to peer with, as host[:port] separated by spaces or commas: dialled at every start besides PEER, $KUBE_PEERS or the Nodes (default $WEAVE_REMOTE_PEERS)" };
        var logLevel = new Option<string>("--log-level") { Description = "debug, info, warning or error", DefaultValueFactory = _ => "info" };
        logLevel.AcceptOnlyFromAmong("debug", "info", "warning", "error");
        var peers = new Argument<string[]>("PEER") { Arity = ArgumentArity.ZeroOrMore, Description = "Peers to connect to, as host[:port] (default $KUBE_PEERS)" };
        var launch = new Command("launch", "Run the router in the foreground")
        {
            name, nickname, port, host, mtu, httpAddr, metricsAddr, statusAddr, dataDir, connLimit, noDiscovery, noFastDp, ipallocRange, ipallocDefaultSubnet, ipallocInit,
            password, passwordFile, trustedSubnets, kubernetes, exposeIp, noMasqLocal, cluster, peerClusters, remotePeers, logLevel, peers,
        };
        launch.SetAction(async (parsed, ct) =>
        {
            bool kube = parsed.GetValue(kubernetes);
            var given = new HashSet<string>(StringComparer.Ordinal);
            foreach (Option option in launch.Options)
            {
                if (parsed.GetResult(option) is { Implicit: false })
                {
                    given.Add(option.Name);
                }
            }
            string[] givenPeers = parsed.GetValue(peers) ?? [];
            if (givenPeers.Length > 0)
            {
                given.Add("PEER");
            }
            var flags = new LaunchFlags
            {
                Name = parsed.GetValue(name),
                NickName = parsed.GetValue(nickname),
                Port = parsed.GetValue(port),
                Host = parsed.GetValue(host),
                Mtu = parsed.GetValue(mtu),
                HttpAddr = parsed.GetValue(httpAddr),
                MetricsAddr = parsed.GetValue(metricsAddr),
                StatusAddr = parsed.GetValue(statusAddr),
                DataDir = parsed.GetValue(dataDir),
                ConnLimit = parsed.GetValue(connLimit),
                NoDiscovery = parsed.GetValue(noDiscovery),
                NoFastDp = parsed.GetValue(noFastDp),
                IpallocRange = parsed.GetValue(ipallocRange),
                IpallocDefaultSubnet = parsed.GetValue(ipallocDefaultSubnet),
                IpallocInit = parsed.GetValue(ipallocInit),
                Peers = givenPeers,
                Password = parsed.GetValue(password),
                PasswordFile = parsed.GetValue(passwordFile),
                TrustedSubnets = parsed.GetValue(trustedSubnets),
                Kubernetes = kube,
                ExposeIp = parsed.GetValue(exposeIp),
                NoMasqLocal = parsed.GetValue(noMasqLocal),
                Cluster = parsed.GetValue(cluster),
                PeerClusters = parsed.GetValue(peerClusters),
                RemotePeers = parsed.GetValue(remotePeers),
            };
            LaunchFlags merged = LaunchEnvironment.Merge(flags, given, LaunchEnvironment.Read(Environment.GetEnvironmentVariable, kube));
            RouterOptions options = LaunchOptions.From(merged, PeerNameSource.ForThisMachine());
            return await LaunchAsync(options, parsed.GetValue(logLevel)!).ConfigureAwait(false);
        });
        return launch;
    }

    private static Command BuildConnect()
    {
        var httpAddr = HttpAddrOption();
        var replace = new Option<bool>("--replace") { Description = "Replace the router's targets instead of adding to them" };
        var peers = new Argument<string[]>("PEER") { Arity = ArgumentArity.ZeroOrMore, Description = "Peers to connect to, as host[:port]" };
        var connect = new Command("connect", "Add peers to the router's targets (and dial them)") { httpAddr, replace, peers };
        connect.SetAction(async (parsed, ct) =>
        {
            bool replacing = parsed.GetValue(replace);
            string[] given = parsed.GetValue(peers) ?? [];
            if (given.Length == 0 && !replacing)
            {
                throw new CliException("connect needs at least one PEER (or --replace alone to drop every target)");
            }
            var form = PeerFields(given);
            if (replacing)
            {
                form.Add(new("replace", "true"));
            }
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            _ = await client.PostFormAsync("/connect", form, ct).ConfigureAwait(false);
            return 0;
        });
        return connect;
    }

    private static Command BuildForget()
    {
        var httpAddr = HttpAddrOption();
        var peers = new Argument<string[]>("PEER") { Arity = ArgumentArity.OneOrMore, Description = "Targets to drop, as given to launch or connect" };
        var forget = new Command("forget", "Remove peers from the router's targets") { httpAddr, peers };
        forget.SetAction(async (parsed, ct) =>
        {
            var form = PeerFields(parsed.GetValue(peers) ?? []);
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            _ = await client.PostFormAsync("/forget", form, ct).ConfigureAwait(false);
            return 0;
        });
        return forget;
    }

    private static Command BuildRmpeer()
    {
        var httpAddr = HttpAddrOption();
        var peers = new Argument<string[]>("NAME") { Arity = ArgumentArity.OneOrMore, Description = "Dead peers (name or nickname) whose address space this router takes over" };
        var rmpeer = new Command("rmpeer", "Reclaim the address space of peers that are gone for good") { httpAddr, peers };
        rmpeer.SetAction(async (parsed, ct) =>
        {
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            foreach (string peer in parsed.GetValue(peers) ?? [])
            {
                Console.Write(await client.DeleteAsync("/peer/" + Uri.EscapeDataString(peer), ct).ConfigureAwait(false));
            }
            return 0;
        });
        return rmpeer;
    }

    private static Command BuildPs()
    {
        var httpAddr = HttpAddrOption();
        var ps = new Command("ps", "List the containers (pods) with addresses from this router") { httpAddr };
        ps.SetAction(async (parsed, ct) =>
        {
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            Console.Write(PsText.From(await client.GetTextAsync("/ip", ct).ConfigureAwait(false), PsText.BridgeMac(RouterOptions.DefaultBridge)));
            return 0;
        });
        return ps;
    }

    private static Command BuildInstallCni()
    {
        var source = new Option<string>("--source") { Description = "The plugin to install (default: weave-net beside this weave)", DefaultValueFactory = _ => CniInstaller.DefaultSource };
        var binDir = new Option<string>("--bin-dir") { Description = "Where runtimes look for CNI plugins", DefaultValueFactory = _ => CniInstaller.DefaultBinDirectory };
        var legacyBinDir = new Option<string>("--legacy-bin-dir") { Description = "A second plugin directory, used only if it exists (empty: none)", DefaultValueFactory = _ => CniInstaller.DefaultLegacyBinDirectory };
        var confDir = new Option<string>("--conf-dir") { Description = "Where runtimes read network configurations", DefaultValueFactory = _ => CniInstaller.DefaultConfDirectory };
        var install = new Command("install-cni", $"Install the CNI plugin and {CniInstaller.ConflistName} (weave-net, then portmap)") { source, binDir, legacyBinDir, confDir };
        install.SetAction(parsed =>
        {
            bool hairpin = CniInstaller.HairpinFromEnvironment(Environment.GetEnvironmentVariable("HAIRPIN_MODE"));
            foreach (string file in CniInstaller.Install(parsed.GetValue(source)!, parsed.GetValue(binDir)!, parsed.GetValue(legacyBinDir), parsed.GetValue(confDir)!, hairpin))
            {
                Console.WriteLine("installed " + file);
            }
            return 0;
        });
        return install;
    }

    private static Option<string?> HttpAddrOption() =>
        new("--http-addr") { Description = "Router API address (default $WEAVE_HTTP_ADDR or 127.0.0.1:6784)" };

    /// <summary>
    /// <c>peer=</c> form fields, each checked here first, so a typo fails before any request. The
    /// router adds its own port to addresses without one.
    /// </summary>
    private static List<KeyValuePair<string, string>> PeerFields(string[] peers)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (string peer in peers)
        {
            if (peer.StartsWith('-'))
            {
                throw new CliException($"unknown flag '{peer}' (see `weave --help`)");
            }
            if (!PeerAddress.TryParse(peer, RouterOptions.DefaultPort, out _, out string error))
            {
                throw new CliException(error);
            }
            fields.Add(new("peer", peer));
        }
        return fields;
    }

    private static Task<int> LaunchAsync(RouterOptions options, string logLevel) =>
        RunUntilStoppedAsync(logLevel, (logs, ct) => new RouterHost(options, logs, TimeProvider.System, new Random()).RunAsync(ct));

    /// <summary>Runs a daemon (the router, the policy controller) until SIGTERM or SIGINT, logging at <paramref name="logLevel"/>.</summary>
    private static async Task<int> RunUntilStoppedAsync(string logLevel, Func<ILoggerFactory, CancellationToken, Task> run)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using ILoggerFactory logs = CreateLogging(logLevel);
        await run(logs, stop.Token).ConfigureAwait(false);
        return 0;
    }

    private static ILoggerFactory CreateLogging(string level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level switch
        {
            "debug" => LogLevel.Debug,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.Information,
        });
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
    });
}
