using System.Globalization;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// How a node comes up (directories, network, cgroups, namespaces, containerd, images, then
/// kube-proxy and kubelet) and goes; each boot, the first or one after a stop, takes these steps.
/// A step holds <c>_lifecycle</c>, and so does the teardown: a stop during a step marks the node
/// stopped, the step gives up at its next check, and the teardown then removes whatever it made.
/// </summary>
public sealed partial class KubeNode
{
    /// <summary>The node's private views: a directory of its own (under <see cref="Directory"/>/views) mounted over each machine path.</summary>
    internal static readonly IReadOnlyList<(string View, string Target)> Views =
    [
        ("cni-conf", "/etc/cni/net.d"),
        ("cni-bin", "/opt/cni/bin"),
        ("cni-state", "/var/lib/cni"),
        ("pod-logs", "/var/log/pods"),
        ("container-logs", "/var/log/containers"),
        ("weave", "/var/lib/weave"),
        // kubelet's root: its device-plugin socket is there whatever --root-dir says
        ("kubelet", "/var/lib/kubelet"),
        // containerd's shims put their sockets in /run/containerd/s whatever the configuration says
        ("run-containerd", "/run/containerd"),
    ];

    // What kubelet sets machine-wide when it starts (its "kernel tunables"). Each node reads them
    // from files of its own mounted over the /proc/sys entries, holding the values kubelet wants:
    // it finds nothing to change and the machine keeps its settings (kernel.panic and panic_on_oops).
    private static readonly (string Name, string Value)[] s_kubeletSysctls =
    [
        ("vm/overcommit_memory", "1"), ("vm/panic_on_oom", "0"), ("kernel/panic", "10"), ("kernel/panic_on_oops", "1"),
        ("kernel/keys/root_maxkeys", "1000000"), ("kernel/keys/root_maxbytes", "25000000"),
    ];

    private static readonly TimeSpan s_containerdStartTimeout = TimeSpan.FromSeconds(30);

    // kubelet (cAdvisor) reads the boot ID here and reports it as the Node's status.nodeInfo.bootID.
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>
    /// The node's host: files (installed at the first boot; after a stop, what a reboot loses is
    /// wiped), network, cgroups and the namespaces with its private views.
    /// </summary>
    internal void PrepareHost()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        lock (_lifecycle)
        {
            ThrowIfStopped(); // the cluster was disposed, or the node stopped, before we got here
            _needsTearDown = true;
            if (_installed)
            {
                ForgetLastBoot();
            }
            else
            {
                Install();
                _installed = true;
            }
            CreateBootFiles();
            ConfigureNetwork();
            _cgroups.Create();
            NodeHolder holder = NodeHolder.Start(Namespace, Name, Mounts(), TimeSpan.FromSeconds(20));
            lock (_gate)
            {
                _holder = holder;
            }
            _cgroups.Join(holder.Pid);
            ThrowIfStopped();
        }
        _cluster.Log(string.Create(CultureInfo.InvariantCulture, $"{Name}: {Address} in {Namespace} ({clock.Elapsed.TotalSeconds:F1} s)"));
    }

    /// <summary>Starts containerd and imports the images: what else can happen before the API server answers.</summary>
    internal void StartContainerd(IReadOnlyList<string> images)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan started;
        lock (_lifecycle)
        {
            KubeDaemon containerd = AddDaemon("containerd", ContainerdLog, "/usr/bin/containerd", ["--config", Path.Combine(Directory, "containerd.toml")]);
            containerd.Start();
            bool up = Eventually.True(() =>
            {
                ThrowIfStopped();
                containerd.EnsureRunning();
                return File.Exists(ContainerdSocket) && Ctr("version").Succeeded;
            }, s_containerdStartTimeout, TimeSpan.FromMilliseconds(100));
            if (!up)
            {
                throw new TimeoutException($"{Name}: containerd did not answer within {s_containerdStartTimeout}:\n{KubeDaemon.Tail(ContainerdLog, 20)}");
            }
            started = clock.Elapsed;
            Parallel.ForEach(images, Import);
        }
        _cluster.Log(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: containerd up in {started.TotalSeconds:F1} s, {images.Count} image(s) imported in {(clock.Elapsed - started).TotalSeconds:F1} s"));
    }

    /// <summary>Starts kube-proxy and kubelet; the node registers (NotReady until a CNI config appears).</summary>
    internal void StartKubernetes(string kubeconfig)
    {
        lock (_lifecycle)
        {
            StartKubeProxyAndKubelet(kubeconfig);
        }
    }

    private void StartKubeProxyAndKubelet(string kubeconfig)
    {
        AddDaemon("kube-proxy", KubeProxyLog, KubeBinaries.PathOf("kube-proxy"),
            ["--config=" + Path.Combine(Directory, "kube-proxy.yaml"), "--v=1"]).Start();
        KubeDaemon kubelet = AddDaemon("kubelet", KubeletLog, KubeBinaries.PathOf("kubelet"),
        [
            "--config=" + Path.Combine(Directory, "kubelet.yaml"),
            "--kubeconfig=" + kubeconfig,
            "--container-runtime=remote",
            "--container-runtime-endpoint=unix://" + ContainerdSocket,
            "--runtime-request-timeout=5m",
            // the root directory is the default /var/lib/kubelet, the node's own; the default
            // flex-volume directory is a machine path under /usr/libexec, which kubelet would create
            "--volume-plugin-dir=/var/lib/kubelet/volume-plugins",
            "--hostname-override=" + Name,
            "--node-ip=" + Address,
            "--pod-infra-container-image=" + KubeImages.Pause,
            "--v=2",
        ],
        // kubelet 1.20's in-tree ECR credential provider probes the EC2 metadata address at start
        new Dictionary<string, string> { ["AWS_EC2_METADATA_DISABLED"] = "true" });
        lock (_gate)
        {
            _kubelet = kubelet;
        }
        kubelet.Start();
    }

    /// <summary>Imports a docker-archive or OCI tar into the node's containerd (namespace k8s.io).</summary>
    internal void Import(string tar) => Ctr("images", "import", tar).EnsureSuccess();

    /// <summary>Throws with the log's end if one of the node's programs has died (unless the node was stopped).</summary>
    internal void EnsureRunning()
    {
        KubeDaemon[] daemons;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            if (_holder is { HasExited: true })
            {
                throw new InvalidOperationException($"{Name}: the process holding its namespaces has died");
            }
            daemons = [.. _daemons];
        }
        foreach (KubeDaemon daemon in daemons)
        {
            daemon.EnsureRunning();
        }
    }

    /// <summary>Every process of the node: its cgroups (containers included) and its network namespace.</summary>
    internal IReadOnlySet<int> ProcessIds()
    {
        var pids = new HashSet<int>(_cgroups.Pids());
        if (LabNamespaces.Exists(Namespace))
        {
            pids.UnionWith(LabNamespaces.Pids(Namespace));
        }
        return pids;
    }

    /// <summary>
    /// Kills the node (see <see cref="Stop"/>) and removes its cgroups and network namespace; returns
    /// what failed. Idempotent; a boot step in progress is waited for (it gives up at its next check).
    /// </summary>
    internal IReadOnlyList<string> Kill()
    {
        lock (_gate)
        {
            _stopped = true;
        }
        lock (_lifecycle)
        {
            if (!_needsTearDown)
            {
                return [];
            }
            List<string> problems = TearDown();
            // What could not be removed is tried again by the next Kill (the cluster's dispose).
            _needsTearDown = problems.Count > 0;
            return problems;
        }
    }

    private List<string> TearDown()
    {
        NodeHolder? holder;
        KubeDaemon[] daemons;
        lock (_gate)
        {
            holder = _holder;
            daemons = [.. _daemons];
        }
        var problems = new List<string>();
        if (!_cgroups.KillAll(TimeSpan.FromSeconds(10)))
        {
            problems.Add($"processes left in cgroup {_cgroups.Name}: {string.Join(' ', _cgroups.Pids())}");
        }
        foreach (KubeDaemon daemon in daemons)
        {
            daemon.Stop(TimeSpan.Zero); // already killed: this reaps it
        }
        holder?.Kill();
        if (_cluster.RemoveNamespace(Namespace) is string error)
        {
            problems.Add(error);
        }
        problems.AddRange(_cgroups.Remove(TimeSpan.FromSeconds(10)).Select(dir => "could not remove cgroup " + dir));
        lock (_gate)
        {
            // The next boot has programs of its own.
            _holder = null;
            _kubelet = null;
            _daemons.Clear();
        }
        return problems;
    }

    /// <summary>Throws when the node was stopped (or the cluster disposed) since its boot began.</summary>
    private void ThrowIfStopped()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                throw new ObjectDisposedException(Name, $"{Name} was stopped while it started");
            }
        }
    }

    private KubeDaemon AddDaemon(string name, string log, string file, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        ThrowIfStopped();
        lock (_gate)
        {
            var daemon = new KubeDaemon($"{Name}-{name}", log, ["nsenter", .. _holder!.Enter], _cgroups.SystemDirectories, file, args, environment);
            _daemons.Add(daemon);
            return daemon;
        }
    }

    /// <summary>The machine's disk as installed, once: what a later boot finds as the last one left it.</summary>
    private void Install()
    {
        foreach ((string view, _) in Views)
        {
            _ = System.IO.Directory.CreateDirectory(View(view));
        }
        _ = System.IO.Directory.CreateDirectory(ContainerdRoot);
        // Copies, not links: an installer that overwrites portmap in place must not change Debian's.
        foreach (string plugin in System.IO.Directory.EnumerateFiles("/usr/lib/cni"))
        {
            File.Copy(plugin, Path.Combine(CniBinDirectory, Path.GetFileName(plugin)));
        }
        File.WriteAllText(MachineIdFile, MachineId + "\n");
        File.WriteAllText(Path.Combine(Directory, "containerd.toml"), NodeConfigFiles.Containerd(this));
        File.WriteAllText(Path.Combine(Directory, "kubelet.yaml"),
            NodeConfigFiles.Kubelet(this, Path.Combine(_cluster.PkiDirectory, KubePki.CaFile), _cgroups.CgroupRoot));
        File.WriteAllText(Path.Combine(Directory, "kube-proxy.yaml"),
            NodeConfigFiles.KubeProxy(this, _cluster.KubeconfigPath, _cluster.ClusterCidr));
    }

    /// <summary>
    /// What a reboot loses: <c>/run</c> (containerd's and runc's state, with the files the dead
    /// pods' network namespaces were mounted on, and the sockets), and the last boot's veth end
    /// in the underlay if the kernel has not yet removed it with that boot's namespace.
    /// </summary>
    private void ForgetLastBoot()
    {
        foreach (string dir in new[] { ContainerdState, RuncRoot, View("run-containerd") })
        {
            if (System.IO.Directory.Exists(dir))
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
        }
        File.Delete(ContainerdSocket);
        File.Delete(ContainerdSocket + ".ttrpc");
        _ = Ip.Run("-n", _cluster.UnderlayNamespace, "link", "delete", Name); // fails when already gone
    }

    /// <summary>Files every boot makes afresh: the emptied /run directories, the sysctl values, a new boot ID.</summary>
    private void CreateBootFiles()
    {
        foreach (string dir in new[] { ContainerdState, RuncRoot, View("run-containerd"), Path.Combine(Directory, "sysctl") })
        {
            _ = System.IO.Directory.CreateDirectory(dir);
        }
        foreach ((string name, string value) in s_kubeletSysctls)
        {
            File.WriteAllText(SysctlFile(name), value + "\n");
        }
        BootId = Guid.NewGuid().ToString();
        File.WriteAllText(BootIdFile, BootId + "\n");
    }

    private void ConfigureNetwork()
    {
        string underlay = _cluster.UnderlayNamespace;
        _cluster.AddNamespace(Namespace);
        Ip.In(underlay, "link", "add", Name, "type", "veth", "peer", "name", "eth0", "netns", Namespace);
        Ip.In(underlay, "link", "set", Name, "master", KubeCluster.UnderlayBridge, "up");
        Ip.In(Namespace, "addr", "add", $"{Address}/{KubeAddressPlan.UnderlayPrefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", "eth0");
        Ip.In(Namespace, "link", "set", "eth0", "up");
        Ip.In(Namespace, "route", "add", "default", "via", KubeAddressPlan.WorldGateway.ToString());
        KubeCluster.InNetns(Namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        // Pods -> API server: the control plane has no route to pod addresses, so what reaches it
        // from anything but a node address leaves masqueraded to this node's. A chain of our own,
        // one rule; everything else about pod traffic is the add-on's business.
        const string Chain = "KUBELAB-POSTROUTING";
        KubeCluster.InNetns(Namespace, "iptables", "-w", "-t", "nat", "-N", Chain);
        KubeCluster.InNetns(Namespace, "iptables", "-w", "-t", "nat", "-A", Chain,
            "-d", KubeAddressPlan.ApiServer + "/32", "!", "-s", KubeAddressPlan.Underlay, "-j", "MASQUERADE");
        KubeCluster.InNetns(Namespace, "iptables", "-w", "-t", "nat", "-I", "POSTROUTING", "1", "-j", Chain);
    }

    private List<(string Source, string Target)> Mounts()
    {
        var mounts = Views.Select(v => (View(v.View), v.Target)).ToList();
        mounts.Add((MachineIdFile, HostMountPoints.MachineId));
        if (File.Exists(BootIdPath))
        {
            mounts.Add((BootIdFile, BootIdPath));
        }
        mounts.AddRange(s_kubeletSysctls
            .Where(s => File.Exists("/proc/sys/" + s.Name))
            .Select(s => (SysctlFile(s.Name), "/proc/sys/" + s.Name)));
        return mounts;
    }

    private string MachineIdFile => Path.Combine(Directory, "machine-id");

    private string BootIdFile => Path.Combine(Directory, "boot_id");

    private string SysctlFile(string name) => Path.Combine(Directory, "sysctl", name.Replace('/', '.'));
}
