using System.Globalization;

namespace Weave.Router.Launch;

/// <summary>
/// <c>weave launch</c>'s settings from environment variables, with weave-kube's names and
/// meanings, so a DaemonSet configures the router as Weave Net's did. They fill the same
/// <see cref="LaunchFlags"/> as the command line, and a flag given on the command line wins. A bad
/// value is refused naming the variable, not a flag the operator never typed.
/// </summary>
public static class LaunchEnvironment
{
    /// <summary>Each variable and the flag it stands for.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["IPALLOC_RANGE"] = "--ipalloc-range",
        ["IPALLOC_INIT"] = "--ipalloc-init",
        ["WEAVE_MTU"] = "--mtu",
        ["CONN_LIMIT"] = "--conn-limit",
        ["WEAVE_PASSWORD_FILE"] = "--password-file",
        ["WEAVE_HTTP_ADDR"] = "--http-addr",
        ["WEAVE_METRICS_ADDR"] = "--metrics-addr",
        ["WEAVE_STATUS_ADDR"] = "--status-addr",
        ["WEAVE_EXPOSE_IP"] = "--expose-ip",
        ["NO_MASQ_LOCAL"] = "--no-masq-local",
        ["WEAVE_CLUSTER"] = "--cluster",
        ["WEAVE_PEER_CLUSTERS"] = "--peer-clusters",
        ["WEAVE_REMOTE_PEERS"] = "--remote-peers",
        ["WEAVE_NO_FASTDP"] = "--no-fastdp",
        ["KUBE_PEERS"] = "PEER",
    };

    /// <summary>Accepted for compatibility with weave-kube's manifests, with no effect here (no update check, no iptables, no OVS).</summary>
    public static readonly IReadOnlyList<string> Ignored = ["CHECKPOINT_DISABLE", "IPTABLES_BACKEND", "EXPECT_NPC", "DB_PREFIX"];

    /// <summary>
    /// The settings the environment gives; <paramref name="kubernetes"/> adds the node's name
    /// (<c>HOSTNAME</c>, which the DaemonSet sets to <c>spec.nodeName</c>) as the nickname.
    /// </summary>
    /// <exception cref="LaunchException">A value cannot be read (a number that is not one).</exception>
    public static LaunchFlags Read(Func<string, string?> environment, bool kubernetes)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Get(string variable)
        {
            string? value = environment(variable);
            // Empty means "off" for the listeners and "no other cluster" for the peer clusters;
            // for every other variable it is as good as unset.
            if (value is null || (value.Length == 0 && variable is not ("WEAVE_METRICS_ADDR" or "WEAVE_STATUS_ADDR" or "WEAVE_PEER_CLUSTERS")))
            {
                return null;
            }
            if (Variables.TryGetValue(variable, out string? flag))
            {
                sources[flag] = variable;
            }
            return value.Trim();
        }
        int? Number(string variable)
        {
            if (Get(variable) is not { } text)
            {
                return null;
            }
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            {
                throw new LaunchException($"invalid {variable} '{text}': expected a whole number");
            }
            return value;
        }

        string? password = environment("WEAVE_PASSWORD");
        string? passwordFile = Get("WEAVE_PASSWORD_FILE");
        if (!string.IsNullOrEmpty(password) && passwordFile is not null)
        {
            throw new LaunchException("set WEAVE_PASSWORD or WEAVE_PASSWORD_FILE, not both");
        }
        string? noMasqLocal = Get("NO_MASQ_LOCAL");
        string? peers = Get("KUBE_PEERS");
        var flags = new LaunchFlags
        {
            IpallocRange = Get("IPALLOC_RANGE"),
            IpallocInit = Get("IPALLOC_INIT"),
            Mtu = Number("WEAVE_MTU"),
            ConnLimit = Number("CONN_LIMIT") ?? RouterOptions.DefaultConnectionLimit,
            EnvironmentPassword = password,
            PasswordFile = passwordFile,
            HttpAddr = Get("WEAVE_HTTP_ADDR"),
            MetricsAddr = Get("WEAVE_METRICS_ADDR"),
            StatusAddr = Get("WEAVE_STATUS_ADDR"),
            ExposeIp = Get("WEAVE_EXPOSE_IP"),
            // weave-kube's default is on; only "0" turns it off.
            NoMasqLocal = noMasqLocal is null ? kubernetes : noMasqLocal != "0",
            Peers = peers is null ? [] : LaunchOptions.SplitAddresses(peers),
            NickName = kubernetes ? Get("HOSTNAME") : null,
            Cluster = Get("WEAVE_CLUSTER"),
            PeerClusters = Get("WEAVE_PEER_CLUSTERS"),
            RemotePeers = Get("WEAVE_REMOTE_PEERS"),
            // Any value turns the fast path off, as weave's launch script read it ("1", "true", even "0").
            NoFastDp = Get("WEAVE_NO_FASTDP") is not null,
            Sources = sources,
        };
        return flags;
    }

    /// <summary>
    /// The command line's <paramref name="flags"/> over the <paramref name="environment"/>'s: a
    /// setting <paramref name="given"/> on the command line (flag names, and <c>PEER</c> for
    /// peers) wins; every other comes from the environment when it has it.
    /// </summary>
    public static LaunchFlags Merge(LaunchFlags flags, IReadOnlySet<string> given, LaunchFlags environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(environment);
        bool Flag(string name) => given.Contains(name);
        bool passwordGiven = Flag("--password") || Flag("--password-file");
        var sources = environment.Sources.Where(p => !Flag(p.Key) && !(p.Key == "--password-file" && passwordGiven))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return flags with
        {
            NickName = Flag("--nickname") ? flags.NickName : environment.NickName ?? flags.NickName,
            Mtu = Flag("--mtu") ? flags.Mtu : environment.Mtu ?? flags.Mtu,
            HttpAddr = Flag("--http-addr") ? flags.HttpAddr : environment.HttpAddr ?? flags.HttpAddr,
            MetricsAddr = Flag("--metrics-addr") ? flags.MetricsAddr : environment.MetricsAddr ?? flags.MetricsAddr,
            StatusAddr = Flag("--status-addr") ? flags.StatusAddr : environment.StatusAddr ?? flags.StatusAddr,
            ConnLimit = Flag("--conn-limit") || !environment.Sources.ContainsKey("--conn-limit") ? flags.ConnLimit : environment.ConnLimit,
            IpallocRange = Flag("--ipalloc-range") ? flags.IpallocRange : environment.IpallocRange ?? flags.IpallocRange,
            IpallocInit = Flag("--ipalloc-init") ? flags.IpallocInit : environment.IpallocInit ?? flags.IpallocInit,
            Peers = Flag("PEER") ? flags.Peers : environment.Peers,
            PasswordFile = passwordGiven ? flags.PasswordFile : environment.PasswordFile,
            EnvironmentPassword = environment.EnvironmentPassword,
            ExposeIp = Flag("--expose-ip") ? flags.ExposeIp : environment.ExposeIp ?? flags.ExposeIp,
            NoMasqLocal = flags.NoMasqLocal || environment.NoMasqLocal,
            NoFastDp = flags.NoFastDp || environment.NoFastDp,
            Cluster = Flag("--cluster") ? flags.Cluster : environment.Cluster ?? flags.Cluster,
            PeerClusters = Flag("--peer-clusters") ? flags.PeerClusters : environment.PeerClusters ?? flags.PeerClusters,
            RemotePeers = Flag("--remote-peers") ? flags.RemotePeers : environment.RemotePeers ?? flags.RemotePeers,
            Sources = sources,
        };
    }

    /// <summary>
    /// <c>EXTRA_ARGS</c>: more <c>weave launch</c> flags, split at whitespace, placed right after
    /// <c>launch</c> so they are parsed as if typed there.
    /// </summary>
    public static string[] WithExtraArgs(string[] args, string? extraArgs)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] != "launch" || string.IsNullOrWhiteSpace(extraArgs))
        {
            return args;
        }
        string[] extra = extraArgs.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return [args[0], .. extra, .. args[1..]];
    }
}
