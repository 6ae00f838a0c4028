using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Weave.Lab;

/// <summary>
/// A simulated host: a namespace whose <c>eth0</c> is on the lab's underlay. Routers run here, and
/// pods hang on its bridge <c>weave</c>.
/// </summary>
public sealed partial class LabHost : LabNode
{
    /// <summary>The bridge the router creates and pods attach to.</summary>
    public const string Bridge = "weave";

    private readonly List<LabPod> _pods = [];

    internal LabHost(NetLab lab, int index, string netns, IPAddress underlayAddress)
        : base(lab, "host" + index.ToString(CultureInfo.InvariantCulture), netns)
    {
        Index = index;
        UnderlayAddress = underlayAddress;
        PeerName = string.Create(CultureInfo.InvariantCulture, $"ee:00:00:00:{index / 256:x2}:{index % 256:x2}");
    }

    /// <summary>1-based position in the lab.</summary>
    public int Index { get; }

    /// <summary>The address of <c>eth0</c> on the underlay, where peers reach this host's router.</summary>
    public IPAddress UnderlayAddress { get; }

    /// <summary>The peer name given to this host's routers unless the arguments name one: hosts share a machine, so the default per-machine name would collide.</summary>
    public string PeerName { get; }

    public IReadOnlyList<LabPod> Pods => _pods;

    /// <summary>
    /// This host's <c>--data-dir</c>, inside the run's directory: hosts share one file system, so
    /// the default /var/lib/weave would be shared by all of them (and outlive the run).
    /// </summary>
    public string DataDirectory => Path.Combine(Lab.TempDirectory, Name + "-data");

    /// <summary>
    /// Starts <c>out/weave launch --name PEERNAME --nickname HOST --data-dir DATADIR ARGS...</c> in
    /// this host's namespace (each of those flags only when <paramref name="args"/> lacks it).
    /// </summary>
    public LabProcess StartRouter(params string[] args) => StartRouterBinary(Repo.RequireWeaveBinary(), args);

    /// <summary>As <see cref="StartRouter"/>, with another build of the router (a benchmark's variant).</summary>
    public LabProcess StartRouterBinary(string weaveBinary, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var argv = new List<string> { "launch" };
        if (!args.Contains("--name"))
        {
            argv.AddRange(["--name", PeerName]);
        }
        if (!args.Contains("--nickname"))
        {
            argv.AddRange(["--nickname", Name]);
        }
        if (!args.Contains("--data-dir"))
        {
            argv.AddRange(["--data-dir", DataDirectory]);
        }
        argv.AddRange(args);
        return Start(weaveBinary, [.. argv]);
    }

    /// <summary>Runs a <c>weave</c> client command (<c>status</c>, ...) in this host's namespace.</summary>
    public CommandResult RunWeave(params string[] args) => Exec(TimeSpan.FromSeconds(15), [Repo.RequireWeaveBinary(), .. args]);

    /// <summary>TAP devices in this namespace: the router's attachment to the bridge while it runs.</summary>
    public IReadOnlyList<string> TapDevices() => Ip.TapDevices(Namespace);

    /// <summary>
    /// Adds a pod namespace with <c>eth0</c> at <paramref name="cidr"/> (e.g. <c>10.32.0.1/12</c>);
    /// the veth's host end joins the bridge <c>weave</c>, which is created first if the router has
    /// not made it yet. Both ends get <paramref name="mtu"/>, by default the bridge's MTU, as the
    /// CNI plugin does ("container veths use the bridge MTU").
    /// </summary>
    public LabPod AddPod(string name, string cidr, int? mtu = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(cidr);
        if (!PodName().IsMatch(name))
        {
            throw new ArgumentException($"pod name '{name}' must be 1-12 of [a-z0-9-], starting with a letter or digit", nameof(name));
        }
        if (_pods.Exists(p => p.Name == name))
        {
            throw new ArgumentException($"{Name} already has a pod named '{name}'", nameof(name));
        }
        string[] parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out IPAddress? address)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefixLength)
            || prefixLength > (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
        {
            throw new ArgumentException($"'{cidr}' is not an address with a prefix length like 10.32.0.1/12", nameof(cidr));
        }

        string podNs = Lab.AddNamespace($"{Namespace}-{name}");
        string hostLink = "vp-" + name;
        EnsureBridge();
        string linkMtu = (mtu ?? BridgeMtu()).ToString(CultureInfo.InvariantCulture);
        Ip.In(Namespace, "link", "add", hostLink, "mtu", linkMtu, "type", "veth", "peer", "name", "eth0", "netns", podNs, "mtu", linkMtu);
        Ip.In(Namespace, "link", "set", hostLink, "master", Bridge, "up");
        Ip.In(podNs, "addr", "add", cidr, "dev", "eth0");
        Ip.In(podNs, "link", "set", "eth0", "up");
        var pod = new LabPod(Lab, this, name, podNs, Network(address, prefixLength), address, hostLink);
        _pods.Add(pod);
        Lab.Log($"{Name}: pod {name} at {cidr} in {podNs}, veth {hostLink} (MTU {linkMtu}) on bridge {Bridge}");
        return pod;
    }

    /// <summary>
    /// Adds an empty network namespace for a pod whose network a CNI plugin will build (only
    /// <c>lo</c>, down); the lab removes it with the run. Returns its path, CNI_NETNS.
    /// </summary>
    public string AddPodNamespace(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PodName().IsMatch(name))
        {
            throw new ArgumentException($"pod name '{name}' must be 1-12 of [a-z0-9-], starting with a letter or digit", nameof(name));
        }
        return global::Weave.Linux.NetNs.PathOf(Lab.AddNamespace($"{Namespace}-{name}"));
    }

    /// <summary>
    /// Runs a CNI plugin (default <c>out/weave-net</c>) in this host's namespace as a container
    /// runtime would: CNI_* variables from <paramref name="environment"/>, the configuration on stdin.
    /// </summary>
    public CommandResult RunCniPlugin(IReadOnlyDictionary<string, string> environment, string config, string? plugin = null) =>
        Command.Run(TimeSpan.FromSeconds(60), "ip", ["netns", "exec", Namespace, plugin ?? Repo.RequireCniBinary()], config, environment);

    /// <summary>Creates the bridge <c>weave</c> unless it exists (with the kernel's default MTU,
    /// 1500, until a router sets the overlay's), and sets it up.</summary>
    public void EnsureBridge()
    {
        CommandResult add = Ip.Run("-n", Namespace, "link", "add", Bridge, "type", "bridge");
        if (!add.Succeeded && !add.Stderr.Contains("exists", StringComparison.OrdinalIgnoreCase))
        {
            add.EnsureSuccess();
        }
        Ip.In(Namespace, "link", "set", Bridge, "up");
    }

    /// <summary>The MTU of the bridge <c>weave</c>: the overlay MTU once a router has set it.</summary>
    public int BridgeMtu() => Ip.Mtu(Namespace, Bridge);

    private static IPNetwork Network(IPAddress address, int prefixLength)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return new IPNetwork(new IPAddress(bytes), prefixLength);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,11}$")]
    private static partial Regex PodName();
}
