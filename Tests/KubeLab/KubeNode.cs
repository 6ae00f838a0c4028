using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// A Kubernetes node: its own network namespace (<c>eth0</c> on the underlay), mount namespace and
/// UTS namespace (hostname = <see cref="Name"/>), held open by a sleeping process, in which
/// containerd, kube-proxy and kubelet run. In its mount namespace the node has private views of the
/// paths a CNI add-on and its runtime use (see <see cref="CniConfDirectory"/> and the others), so
/// a DaemonSet's hostPath lands in this node's directories, never in the machine's.
/// <para>A node can be stopped (<see cref="Stop"/>: the machine vanishes) and booted again
/// (<see cref="Start"/>): the same machine with what its disk kept and a fresh boot ID.</para>
/// </summary>
public sealed partial class KubeNode
{
    private readonly KubeCluster _cluster;
    private readonly NodeCgroups _cgroups;
    private readonly Lock _gate = new();
    // Held by each step of a boot and by the teardown, so a stop (or the cluster's dispose) never
    // tears down halfway through a step and a boot never builds on a teardown in progress.
    private readonly Lock _lifecycle = new();
    private readonly List<KubeDaemon> _daemons = [];
    // The current boot's; _gate guards them and _stopped.
    private NodeHolder? _holder;
    private KubeDaemon? _kubelet;
    private bool _stopped;
    // _lifecycle guards these: whether the machine's disk has been installed (first boot), and
    // whether a boot has made something (namespace, cgroups, processes) that a teardown must remove.
    private bool _installed;
    private bool _needsTearDown;

    internal KubeNode(KubeCluster cluster, int index)
    {
        _cluster = cluster;
        Index = index;
        Name = "node" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Address = KubeAddressPlan.Node(index);
        Namespace = cluster.RunName + "-" + Name;
        Directory = Path.Combine(cluster.RunDirectory, Name);
        _cgroups = new NodeCgroups(Namespace);
        MachineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    }

    /// <summary><c>node1</c>, <c>node2</c>, ...: the Node object's name and the hostname.</summary>
    public string Name { get; }

    /// <summary>1-based position in the cluster.</summary>
    public int Index { get; }

    /// <summary>The node's address on the underlay (<c>eth0</c>), its InternalIP.</summary>
    public IPAddress Address { get; }

    /// <summary>The network namespace, <c>&lt;run&gt;-nodeN</c>; also the name of its cgroups.</summary>
    public string Namespace { get; }

    /// <summary>Everything of this node on the machine: configuration, containerd's and kubelet's state, its private views.</summary>
    public string Directory { get; }

    /// <summary>What the node sees as <c>/etc/cni/net.d</c> (empty at start: the add-on writes its conflist here).</summary>
    public string CniConfDirectory => View("cni-conf");

    /// <summary>What the node sees as <c>/opt/cni/bin</c>: Debian's plugins (loopback, portmap, bridge, host-local, ...).</summary>
    public string CniBinDirectory => View("cni-bin");

    /// <summary>What the node sees as <c>/var/lib/cni</c> (CNI result cache, host-local's leases).</summary>
    public string CniStateDirectory => View("cni-state");

    /// <summary>What the node sees as <c>/var/lib/weave</c>.</summary>
    public string WeaveDataDirectory => View("weave");

    /// <summary>What the node sees as <c>/var/lib/kubelet</c>: kubelet's root (pods' volumes, its certificates).</summary>
    public string KubeletDirectory => View("kubelet");

    /// <summary>What the node sees as <c>/var/log/pods</c>: containers' logs, one directory per pod.</summary>
    public string PodLogDirectory => View("pod-logs");

    /// <summary>What the node sees as <c>/etc/machine-id</c>: random per node, the same after a <see cref="Start"/>.</summary>
    public string MachineId { get; }

    /// <summary>
    /// What the node sees as <c>/proc/sys/kernel/random/boot_id</c>: new at every boot, as on a real
    /// machine; kubelet reports it in the Node's <c>status.nodeInfo.bootID</c>. Empty before the first boot.
    /// </summary>
    public string BootId { get; private set; } = "";

    public string ContainerdSocket => Path.Combine(Directory, "containerd.sock");

    public string KubeletLog => Path.Combine(_cluster.LogDirectory, Name + "-kubelet.log");

    public string ContainerdLog => Path.Combine(_cluster.LogDirectory, Name + "-containerd.log");

    public string KubeProxyLog => Path.Combine(_cluster.LogDirectory, Name + "-kube-proxy.log");

    /// <summary>False once <see cref="Stop"/> (or the cluster's dispose) has killed it, true again once <see cref="Start"/> boots it.</summary>
    public bool IsRunning
    {
        get { lock (_gate) { return !_stopped && _holder is not null; } }
    }

    internal string ContainerdRoot => Path.Combine(Directory, "containerd", "root");

    internal string ContainerdState => Path.Combine(Directory, "containerd", "state");

    internal string RuncRoot => Path.Combine(Directory, "runc");

    /// <summary>Runs a command as the node's host: in its network, mount and UTS namespaces (default timeout 30 s).</summary>
    public CommandResult Exec(params string[] args) => Exec(Command.DefaultTimeout, args);

    public CommandResult Exec(TimeSpan timeout, params string[] args) =>
        Command.Run(timeout, "nsenter", [.. Enter(), .. args]);

    /// <summary>Runs <c>ctr</c> against the node's containerd in the namespace kubelet uses (<c>k8s.io</c>).</summary>
    public CommandResult Ctr(params string[] args) =>
        Command.Run(TimeSpan.FromMinutes(2), "ctr", ["-a", ContainerdSocket, "-n", "k8s.io", .. args]);

    /// <summary>
    /// Kills everything of the node at once, as if the machine had vanished: kubelet, kube-proxy,
    /// containerd, its shims and every container; its network namespace goes too, so its address
    /// stops answering. The Node object stays until the test deletes it. Idempotent;
    /// <see cref="Start"/> boots the node again.
    /// </summary>
    public void Stop()
    {
        _cluster.Log($"{Name}: stopping (everything of the node is killed)");
        LogProblems(Kill());
    }

    /// <summary>
    /// Boots the node again after <see cref="Stop"/>: the same machine (name, index, address,
    /// machine-id) with what its disk kept, and what a reboot loses gone. Kept: its private views
    /// (<c>/etc/cni/net.d</c>, <c>/opt/cni/bin</c>, <c>/var/lib/weave</c>, <c>/var/lib/cni</c>,
    /// <c>/var/lib/kubelet</c>, the pod logs) and containerd's root (<c>/var/lib/containerd</c>: images,
    /// container records). Lost, as <c>/run</c> is: containerd's state (tasks, pods' network namespace
    /// files), runc's, <c>/run/containerd</c> and every process. New: network namespace (same address),
    /// cgroups, <see cref="BootId"/>. Containerd gets the cluster's images imported again (those imported
    /// while it was down included), then kube-proxy and kubelet start; kubelet finds its old pods'
    /// sandboxes dead and makes new ones, tearing the old ones' network down through the CNI add-on
    /// (DEL with no network namespace), as after a real reboot. Returns once the Node object shows
    /// this boot (kubelet registers it again if it was deleted meanwhile). On failure the node is
    /// stopped again and the exception says why.
    /// </summary>
    public void Start(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_cluster.IsDisposed, _cluster);
        lock (_gate)
        {
            if (!_stopped)
            {
                throw new InvalidOperationException($"{Name} is running (or booting): Stop it first");
            }
            _stopped = false;
        }
        _cluster.Log($"{Name}: starting again");
        var clock = Stopwatch.StartNew();
        try
        {
            PrepareHost();
            StartContainerd(_cluster.Images);
            StartKubernetes(_cluster.KubeconfigPath);
            _cluster.WaitForBoot(this, timeout);
        }
        catch
        {
            LogProblems(Kill()); // a half-booted node is a stopped one: nothing of this boot is left
            throw;
        }
        _cluster.Log(string.Create(CultureInfo.InvariantCulture, $"{Name}: booted again and registered in {clock.Elapsed.TotalSeconds:F1} s"));
    }

    /// <summary>Stops kubelet (SIGTERM, up to 10 s) and starts it again; pods keep running meanwhile.</summary>
    public void RestartKubelet()
    {
        KubeDaemon kubelet;
        lock (_gate)
        {
            kubelet = !_stopped && _kubelet is not null ? _kubelet : throw new InvalidOperationException($"{Name}'s kubelet is not running");
        }
        _cluster.Log($"{Name}: restarting kubelet");
        kubelet.Stop(TimeSpan.FromSeconds(10));
        kubelet.Start();
    }

    public override string ToString() => $"{Name} ({Address}, {Namespace})";

    private string View(string name) => Path.Combine(Directory, "views", name);

    private void LogProblems(IReadOnlyList<string> problems)
    {
        foreach (string problem in problems)
        {
            _cluster.Log($"{Name}: {problem}");
        }
    }

    private string[] Enter()
    {
        lock (_gate)
        {
            if (_stopped || _holder is null)
            {
                throw new InvalidOperationException($"{Name} is not running");
            }
            return _holder.Enter;
        }
    }
}
