using System.Net;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Router.DataPlane;

namespace Weave.Router.Launch;

/// <summary><c>weave launch</c>'s flags as given, before validation.</summary>
public sealed record LaunchFlags
{
    public string? Name { get; init; }
    public string? NickName { get; init; }
    public int Port { get; init; } = RouterOptions.DefaultPort;
    public string? Host { get; init; }
    public int? Mtu { get; init; }
    public string? HttpAddr { get; init; }

    /// <summary><c>--metrics-addr</c>: ip:port, or <c>off</c> or empty for no metrics listener.</summary>
    public string? MetricsAddr { get; init; }
    public string? DataDir { get; init; }
    public int ConnLimit { get; init; } = RouterOptions.DefaultConnectionLimit;
    public bool NoDiscovery { get; init; }

    /// <summary><c>--no-fastdp</c>: carry the data in userspace only, never through the kernel's VXLAN device.</summary>
    public bool NoFastDp { get; init; }
    public string? IpallocRange { get; init; }
    public string? IpallocDefaultSubnet { get; init; }
    public string? IpallocInit { get; init; }
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary><c>--password</c> as given.</summary>
    public string? Password { get; init; }

    /// <summary><c>--password-file</c>: a file whose content (less one trailing newline) is the password.</summary>
    public string? PasswordFile { get; init; }

    /// <summary><c>$WEAVE_PASSWORD</c>, used when neither flag is given.</summary>
    public string? EnvironmentPassword { get; init; }

    /// <summary><c>--trusted-subnets</c>: comma-separated CIDRs.</summary>
    public string? TrustedSubnets { get; init; }

    /// <summary><c>--kubernetes</c>: run as the cluster's network add-on (peers, reclaim and node status from the API; host netfilter).</summary>
    public bool Kubernetes { get; init; }

    /// <summary><c>--status-addr</c>: ip:port of a read-only listener for status, report and metrics; off or empty for none (the default).</summary>
    public string? StatusAddr { get; init; }

    /// <summary><c>--expose-ip</c>: the address the bridge gets for the host (default: one allocated from the range).</summary>
    public string? ExposeIp { get; init; }

    /// <summary><c>--no-masq-local</c>: traffic from outside the range to pods of this node keeps its source address.</summary>
    public bool NoMasqLocal { get; init; }

    /// <summary><c>--cluster</c>: the name of the cluster this router belongs to (default: derived from the range).</summary>
    public string? Cluster { get; init; }

    /// <summary><c>--peer-clusters</c>: comma-separated names of the other clusters this router peers with (default: any).</summary>
    public string? PeerClusters { get; init; }

    /// <summary><c>--remote-peers</c>: other clusters' routers, host[:port] separated by spaces or commas.</summary>
    public string? RemotePeers { get; init; }

    /// <summary>Which values came from environment variables: flag name to variable, so errors name what the operator set.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How to name a setting in an error: the variable it came from, else the flag.</summary>
    public string Named(string flag) => Sources.TryGetValue(flag, out string? variable) ? variable : flag;
}

/// <summary>Validates <c>weave launch</c>'s raw flag values into <see cref="RouterOptions"/>.</summary>
public static class LaunchOptions
{
    /// <summary>
    /// Checks every flag first, then chooses the peer name (which may read and write
    /// <c>&lt;data-dir&gt;/peer-name</c>), so a bad flag leaves no file behind.
    /// </summary>
    /// <exception cref="LaunchException">A value is invalid, or the peer name cannot be read or saved; the message names it.</exception>
    public static RouterOptions From(LaunchFlags flags, PeerNameSource names)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(names);
        PeerName? given = null;
        if (flags.Name is not null)
        {
            if (!PeerName.TryParse(flags.Name, out PeerName parsed, out string nameError))
            {
                throw new LaunchException($"invalid --name '{flags.Name}': {nameError}");
            }
            given = parsed;
        }
        int port = flags.Port;
        if (port is < 1 or > 65534)
        {
            throw new LaunchException($"invalid --port {port}: expected 1 to 65534 (UDP uses port+1)");
        }
        if (flags.Mtu is < OverlayMtu.Min or > OverlayMtu.Max)
        {
            throw new LaunchException($"invalid {flags.Named("--mtu")} {flags.Mtu}: expected {OverlayMtu.Min} to {OverlayMtu.Max} (the largest frame one UDP datagram carries)");
        }
        IPAddress listen = IPAddress.Any;
        if (flags.Host is { } host && (!IPAddress.TryParse(host, out listen!) || listen.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
        {
            throw new LaunchException($"invalid --host '{host}': expected an IPv4 address");
        }
        IPEndPoint http = RouterOptions.DefaultHttpEndPoint;
        if (flags.HttpAddr is { } httpAddr && (!IPEndPoint.TryParse(httpAddr, out http!) || http.Port == 0))
        {
            throw new LaunchException($"invalid {flags.Named("--http-addr")} '{httpAddr}': expected ip:port");
        }
        IPEndPoint? metrics = OptionalEndPoint(flags.MetricsAddr, RouterOptions.DefaultMetricsEndPoint, flags.Named("--metrics-addr"));
        IPEndPoint? status = OptionalEndPoint(flags.StatusAddr, null, flags.Named("--status-addr"));
        if (flags.ConnLimit < 0)
        {
            throw new LaunchException($"invalid {flags.Named("--conn-limit")} {flags.ConnLimit}: expected 0 (unlimited) or more");
        }
        string dataDirectory = DataDirectory(flags.DataDir);
        var targets = new List<PeerAddress>();
        foreach (string peer in flags.Peers)
        {
            if (peer.StartsWith('-'))
            {
                throw new LaunchException($"unknown flag '{peer}' (see `weave launch --help`)");
            }
            if (!PeerAddress.TryParse(peer, port, out PeerAddress? address, out string error))
            {
                throw new LaunchException(flags.Sources.ContainsKey("PEER") ? $"invalid KUBE_PEERS: {error}" : error);
            }
            targets.Add(address);
        }
        IReadOnlyList<PeerAddress> remotePeers = RemotePeers(flags, port);
        (Cidr range, Cidr? defaultSubnet, IpamInit? init) = Ipam(flags);
        ClusterIdentity cluster = Cluster(flags, range);
        IReadOnlySet<string>? peerClusters = PeerClusters(flags, cluster);
        byte[]? password = LaunchSecurity.Password(flags);
        IReadOnlyList<IPNetwork> trusted = LaunchSecurity.TrustedSubnets(flags.TrustedSubnets);
        string nick = string.IsNullOrWhiteSpace(flags.NickName) ? Environment.MachineName : flags.NickName;
        if (nick.Length > 255)
        {
            throw new LaunchException("invalid --nickname: longer than 255 characters");
        }
        PeerNameChoice name = names.Resolve(given, dataDirectory);
        return new RouterOptions
        {
            Name = name.Name,
            NameOrigin = name.Origin,
            NickName = nick,
            Host = listen,
            Port = port,
            Mtu = flags.Mtu,
            HttpEndPoint = http,
            MetricsEndPoint = metrics,
            StatusEndPoint = status,
            Kubernetes = flags.Kubernetes,
            NoMasqLocal = flags.NoMasqLocal,
            ExposeAddress = ExposeAddress(flags, range),
            Peers = targets,
            RemotePeers = remotePeers,
            DataDirectory = dataDirectory,
            ConnectionLimit = flags.ConnLimit,
            Discovery = !flags.NoDiscovery,
            FastDp = !flags.NoFastDp,
            IpamRange = range,
            IpamDefaultSubnet = defaultSubnet,
            IpamInit = init,
            Cluster = cluster,
            PeerClusters = peerClusters,
            Password = password,
            TrustedSubnets = trusted,
        };
    }

    /// <summary>
    /// <c>--ipalloc-range</c>, <c>--ipalloc-default-subnet</c> and <c>--ipalloc-init</c>: aligned
    /// CIDRs of at least 4 addresses, the default subnet inside the range.
    /// </summary>
    private static (Cidr Range, Cidr? DefaultSubnet, IpamInit? Init) Ipam(LaunchFlags flags)
    {
        Cidr range = RouterOptions.DefaultIpamRange;
        if (flags.IpallocRange is { } rangeText && !Cidr.TryParse(rangeText, out range, out string rangeError))
        {
            throw new LaunchException($"invalid {flags.Named("--ipalloc-range")} '{rangeText}': {rangeError}");
        }
        Cidr? defaultSubnet = null;
        if (flags.IpallocDefaultSubnet is { } subnetText)
        {
            if (!Cidr.TryParse(subnetText, out Cidr subnet, out string subnetError))
            {
                throw new LaunchException($"invalid --ipalloc-default-subnet '{subnetText}': {subnetError}");
            }
            defaultSubnet = subnet;
        }
        IpamInit? init = null;
        if (flags.IpallocInit is { } initText && !IpamInit.TryParse(initText, out init, out string initError))
        {
            throw new LaunchException($"invalid {flags.Named("--ipalloc-init")}: {initError}");
        }
        var options = new IpamOptions(range, init ?? IpamInit.Consensus(1)) { DefaultSubnet = defaultSubnet };
        if (!options.TryValidate(out string error))
        {
            throw new LaunchException("invalid " + error.Replace("--ipalloc-range", flags.Named("--ipalloc-range"), StringComparison.Ordinal));
        }
        return (range, defaultSubnet, init);
    }

    /// <summary><c>--cluster</c>, else the name the range gives (<see cref="ClusterIdentity.DefaultName"/>), with the range.</summary>
    private static ClusterIdentity Cluster(LaunchFlags flags, Cidr range)
    {
        if (flags.Cluster is not { } name)
        {
            return RouterOptions.ClusterFor(range);
        }
        if (!ClusterIdentity.IsValidName(name, out string error))
        {
            throw new LaunchException($"invalid {flags.Named("--cluster")}: {error}");
        }
        return RouterOptions.ClusterNamed(name, range);
    }

    /// <summary>A list of peer addresses as operators write them: separated by spaces, tabs, newlines or commas.</summary>
    internal static string[] SplitAddresses(string text) => text.Split((char[])[' ', '\t', '\n', ','], StringSplitOptions.RemoveEmptyEntries);

    /// <summary><c>--remote-peers</c>: each entry host[:port] (default port ours), at most <see cref="RouterOptions.MaxRemotePeers"/>.</summary>
    private static List<PeerAddress> RemotePeers(LaunchFlags flags, int port)
    {
        var peers = new List<PeerAddress>();
        if (flags.RemotePeers is not { } text)
        {
            return peers;
        }
        string[] entries = SplitAddresses(text);
        if (entries.Length > RouterOptions.MaxRemotePeers)
        {
            throw new LaunchException($"invalid {flags.Named("--remote-peers")}: {entries.Length} entries, at most {RouterOptions.MaxRemotePeers}");
        }
        foreach (string entry in entries)
        {
            if (!PeerAddress.TryParse(entry, port, out PeerAddress? address, out string error))
            {
                throw new LaunchException($"invalid {flags.Named("--remote-peers")}: {error}");
            }
            if (!peers.Contains(address))
            {
                peers.Add(address);
            }
        }
        return peers;
    }

    /// <summary>
    /// <c>--peer-clusters</c>: null when not given (any cluster is admitted), else the names; an
    /// empty list admits no other cluster. Our own name may be listed, and is left out: one list
    /// can then serve every cluster it names.
    /// </summary>
    private static HashSet<string>? PeerClusters(LaunchFlags flags, ClusterIdentity ours)
    {
        if (flags.PeerClusters is not { } text)
        {
            return null;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return names;
        }
        foreach (string part in text.Split(','))
        {
            string name = part.Trim();
            if (!ClusterIdentity.IsValidName(name, out string error))
            {
                throw new LaunchException($"invalid {flags.Named("--peer-clusters")}: {error}");
            }
            if (name != ours.Name)
            {
                names.Add(name);
            }
        }
        return names;
    }

    /// <summary><c>--metrics-addr</c> or <c>--status-addr</c>: the default when not given, null when <c>off</c> or empty.</summary>
    private static IPEndPoint? OptionalEndPoint(string? given, IPEndPoint? byDefault, string name)
    {
        if (given is null)
        {
            return byDefault;
        }
        if (given.Length == 0 || given == "off")
        {
            return null;
        }
        if (!IPEndPoint.TryParse(given, out IPEndPoint? endPoint) || endPoint.Port == 0)
        {
            throw new LaunchException($"invalid {name} '{given}': expected ip:port, or off");
        }
        return endPoint;
    }

    /// <summary><c>--expose-ip</c>: an address inside the range (the bridge gets it with the range's prefix length).</summary>
    private static IPAddress? ExposeAddress(LaunchFlags flags, Cidr range)
    {
        if (flags.ExposeIp is not { } text)
        {
            return null;
        }
        if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork ||
            !range.Contains(address))
        {
            throw new LaunchException($"invalid {flags.Named("--expose-ip")} '{text}': expected an IPv4 address inside the range {range}");
        }
        return address;
    }

    /// <summary>The absolute form of <c>--data-dir</c> (default /var/lib/weave).</summary>
    private static string DataDirectory(string? given)
    {
        if (given is null)
        {
            return RouterOptions.DefaultDataDirectory;
        }
        if (string.IsNullOrWhiteSpace(given) || given.Contains('\0', StringComparison.Ordinal))
        {
            throw new LaunchException($"invalid --data-dir '{given}': expected a directory path");
        }
        try
        {
            return Path.GetFullPath(given);
        }
        catch (Exception e) when (e is ArgumentException or PathTooLongException or NotSupportedException)
        {
            throw new LaunchException($"invalid --data-dir '{given}': {e.Message}", e);
        }
    }
}
