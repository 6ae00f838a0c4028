using System.Net;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Mesh;

namespace Weave.Router.Launch;

/// <summary>
/// Everything <c>weave launch</c> is configured with. One type, filled from flags now and from
/// environment variables (weave-kube's names) when Kubernetes packaging arrives.
/// </summary>
public sealed record RouterOptions
{
    public const int DefaultPort = 6783;

    public const string DefaultBridge = "weave";
    public const string DefaultTap = "vethwe-tap";

    /// <summary>The VXLAN network identifier of plaintext direct traffic.</summary>
    public const int DefaultVni = 6783;

    public static readonly IPEndPoint DefaultHttpEndPoint = new(IPAddress.Loopback, 6784);
    public static readonly IPEndPoint DefaultMetricsEndPoint = new(IPAddress.Loopback, 6782);

    /// <summary>Where the router keeps state across restarts (the peer name now; IPAM later).</summary>
    public const string DefaultDataDirectory = "/var/lib/weave";

    /// <summary>Weave Net's default <c>--conn-limit</c> (its docs still say 100).</summary>
    public const int DefaultConnectionLimit = 200;

    public PeerName Name { get; init; }

    /// <summary>Where <see cref="Name"/> came from: <c>--name</c>, the data directory, the machine-id, or chance.</summary>
    public PeerNameOrigin NameOrigin { get; init; } = PeerNameOrigin.Flag;

    public required string NickName { get; init; }
    public IPAddress Host { get; init; } = IPAddress.Any;

    /// <summary>TCP port of the control connections.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>UDP port of VXLAN traffic: the control port + 1 (6784), as Weave's fast path used.</summary>
    public int DataPort => Port + 1;

    /// <summary><c>--mtu</c>: the overlay MTU of the bridge and pods; null derives it from the
    /// underlay link's MTU at start (<see cref="OverlayMtuChoice"/>).</summary>
    public int? Mtu { get; init; }
    public int Vni { get; init; } = DefaultVni;
    public IPEndPoint HttpEndPoint { get; init; } = DefaultHttpEndPoint;

    /// <summary>Where Prometheus' <c>/metrics</c> is served; null for nowhere (<c>--metrics-addr=off</c>).</summary>
    public IPEndPoint? MetricsEndPoint { get; init; } = DefaultMetricsEndPoint;

    public string Bridge { get; init; } = DefaultBridge;
    public string Tap { get; init; } = DefaultTap;
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];

    /// <summary>
    /// <c>--remote-peers</c>: other clusters' routers, dialled besides <see cref="Peers"/>. Kept
    /// apart because they count for nothing in our cluster: not in the consensus size, and with
    /// <c>--kubernetes</c> not replaced by the Nodes.
    /// </summary>
    public IReadOnlyList<PeerAddress> RemotePeers { get; init; } = [];

    /// <summary>More remote peers than this is a mistake in the setting, not a plan.</summary>
    public const int MaxRemotePeers = 1000;

    /// <summary><c>--data-dir</c>, an absolute path: state kept across restarts (<c>peer-name</c>, later IPAM).</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory;

    /// <summary><c>--conn-limit</c>: most connections, inbound and outbound together; 0 means unlimited.</summary>
    public int ConnectionLimit { get; init; } = DefaultConnectionLimit;

    /// <summary>Dial the peers other peers are connected to (off with <c>--no-discovery</c>).</summary>
    public bool Discovery { get; init; } = true;

    /// <summary>
    /// Let the kernel's VXLAN device carry plaintext data between peers (off with
    /// <c>--no-fastdp</c> or <c>WEAVE_NO_FASTDP</c>): the fast path, as Weave's <c>fastdp</c>. Off
    /// leaves every frame to the userspace data plane, for a kernel without VXLAN or to rule it
    /// out when diagnosing.
    /// </summary>
    public bool FastDp { get; init; } = true;

    /// <summary>Weave Net's (and weave-kube's) default <c>--ipalloc-range</c>.</summary>
    public static readonly Cidr DefaultIpamRange = Cidr.Parse("10.32.0.0/12");

    /// <summary><c>--ipalloc-range</c>: the pod address range shared by every peer.</summary>
    public Cidr IpamRange { get; init; } = DefaultIpamRange;

    /// <summary>
    /// <c>--cluster</c> with <see cref="IpamRange"/>: the cluster this router allocates with. Its IP
    /// allocation gossips and agrees only with routers of the same cluster; the mesh spans them all.
    /// By default the cluster named after the range.
    /// </summary>
    public ClusterIdentity Cluster
    {
        get => field ?? ClusterFor(IpamRange);
        init;
    }

    /// <summary><c>--peer-clusters</c>: the other clusters whose routers we connect to; null for any whose range does not overlap ours.</summary>
    public IReadOnlySet<string>? PeerClusters { get; init; }

    /// <summary>The cluster named after <paramref name="range"/>, as a router with no <c>--cluster</c> has it.</summary>
    public static ClusterIdentity ClusterFor(Cidr range) => ClusterNamed(ClusterIdentity.DefaultName(ClusterRange(range)), range);

    /// <summary>A cluster of a name already checked (<see cref="ClusterIdentity.IsValidName"/>) and <paramref name="range"/>.</summary>
    public static ClusterIdentity ClusterNamed(string name, Cidr range) =>
        ClusterIdentity.TryCreate(name, ClusterRange(range), out ClusterIdentity? cluster, out string error)
            ? cluster
            : throw new ArgumentException(error, nameof(name));

    /// <summary>The allocation range as the mesh carries it.</summary>
    public static IPNetwork ClusterRange(Cidr range) => new(range.Network, range.PrefixLength);

    /// <summary><c>--ipalloc-default-subnet</c>: where <c>POST /ip/{id}</c> allocates; the range when null.</summary>
    public Cidr? IpamDefaultSubnet { get; init; }

    /// <summary><c>--ipalloc-init</c>; by default consensus among the initial peers (the targets and us), as Weave did.</summary>
    public IpamInit? IpamInit { get; init; }

    /// <summary>The init mode in effect: plain <c>consensus</c> counts the initial targets and us.</summary>
    public IpamInit EffectiveIpamInit => IpamInit is null or { Mode: IpamInitMode.Consensus, PeerCount: null }
        ? Weave.Ipam.IpamInit.Consensus(Peers.Count + 1)
        : IpamInit;

    /// <summary>
    /// <c>--password</c>, <c>--password-file</c> or <c>$WEAVE_PASSWORD</c> as UTF-8 bytes: control
    /// connections are sealed, and so is the data to every peer but those <see cref="TrustedSubnets"/>
    /// lets through in clear. Null: no encryption.
    /// </summary>
    public byte[]? Password { get; init; }

    public bool Encrypted => Password is not null;

    /// <summary>
    /// <c>--trusted-subnets</c>: with a password, the data to a peer whose TCP address is inside one
    /// of these goes unencrypted when that peer trusts our address too (each side says so in its
    /// intro); control connections stay sealed. Without a password nothing is sealed anyway. Shown
    /// in status as <c>TrustedSubnets</c>.
    /// </summary>
    public IReadOnlyList<IPNetwork> TrustedSubnets { get; init; } = [];

    /// <summary>Where the read-only status, report and metrics are served (<c>--status-addr</c>); null for nowhere, the default.</summary>
    public IPEndPoint? StatusEndPoint { get; init; }

    /// <summary><c>--kubernetes</c>: the router is the cluster's network add-on: peers, reclaim of deleted nodes'
    /// space and the node's network condition come from the Kubernetes API, and the host's netfilter is set up.</summary>
    public bool Kubernetes { get; init; }

    /// <summary><c>--no-masq-local</c> (<c>NO_MASQ_LOCAL</c>): traffic from outside the range to this node's pods
    /// is not masqueraded, so a Service with externalTrafficPolicy Local sees the client's address.</summary>
    public bool NoMasqLocal { get; init; }

    /// <summary><c>--expose-ip</c>: the bridge's address for the host; null to allocate one.</summary>
    public IPAddress? ExposeAddress { get; init; }

    /// <summary>Where the allocator keeps its ring and allocations.</summary>
    public string IpamStatePath => Path.Combine(DataDirectory, "ipam.state");
}
