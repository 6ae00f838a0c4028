using System.Globalization;
using System.Net;
using System.Text.Json;
using Weave.Lab;
using Weave.Linux;

namespace Weave.KubeLab;

/// <summary>
/// A real Kubernetes v1.20.2 cluster on this machine, for end-to-end tests of a CNI add-on: etcd,
/// kube-apiserver (RBAC and Node authorization), kube-controller-manager and kube-scheduler in a
/// control-plane namespace, and N nodes, each a network + mount + UTS namespace running
/// containerd, kube-proxy (iptables) and kubelet (cgroupfs). Nodes have no CNI configuration, so
/// they register NotReady until the add-on installs one.
/// <para>Address plan (<see cref="KubeAddressPlan"/>): underlay 10.200.0.0/24 on a bridge in
/// <c>&lt;run&gt;-underlay</c>; API server 10.200.0.1:6443 in <c>&lt;run&gt;-ctrl</c>; node N at
/// 10.200.0.(10+N) in <c>&lt;run&gt;-nodeN</c>; the world at 10.201.0.1 (ping, HTTP :80) behind
/// 10.200.0.254 in <c>&lt;run&gt;-world</c>, the nodes' default gateway, which answers a pod only when
/// the add-on masquerades it; services 10.96.0.0/16 (kubernetes = 10.96.0.1:443).</para>
/// <para>Every name of a run starts with <c>wv&lt;pid&gt;x&lt;n&gt;</c>. <see cref="Dispose"/> removes
/// everything (also on Ctrl-C/SIGTERM), and the next <see cref="Start"/> removes what a crashed
/// run left. Logs are in <see cref="LogDirectory"/>, kept after dispose with <c>WEAVE_LAB_KEEP_LOGS=1</c>.</para>
/// </summary>
public sealed partial class KubeCluster : IDisposable
{
    public static readonly TimeSpan DefaultKubectlTimeout = TimeSpan.FromSeconds(60);

    internal const string UnderlayBridge = "br0";

    private readonly Lock _gate = new();
    private readonly List<string> _namespaces = [];
    private readonly List<KubeNode> _nodes = [];
    private readonly List<string> _images;
    private readonly Action<string>? _log;
    // Set while a test keeps the API server down, and until the clients that gave up are restarted.
    private volatile bool _apiServerStopped;
    private volatile bool _apiClientsMayHaveExited;

    private KubeCluster(string runName, KubeClusterOptions options, IReadOnlyList<string> images)
    {
        RunName = runName;
        _log = options.Log;
        ClusterCidr = options.ClusterCidr;
        _images = [.. images, .. options.Images];
        RunDirectory = Path.Combine(KubeRuns.Root, runName);
        UnderlayNamespace = runName + "-underlay";
        ControlPlaneNamespace = runName + "-ctrl";
        WorldNamespace = runName + "-world";
    }

    /// <summary><c>wv&lt;pid&gt;x&lt;n&gt;</c>: the prefix of every namespace and cgroup of this run.</summary>
    public string RunName { get; }

    /// <summary>The run's state on the machine (<c>$TMPDIR/weave-kube/&lt;run&gt;</c>), removed on dispose.</summary>
    public string RunDirectory { get; }

    /// <summary>Every daemon's log: etcd.log, kube-apiserver.log, node1-kubelet.log, node1-containerd.log, ...</summary>
    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    /// <summary>The admin (<c>system:masters</c>) kubeconfig; its server is reachable from the run's namespaces only.</summary>
    public string KubeconfigPath => Path.Combine(RunDirectory, "kubeconfig");

    /// <summary>The CA (<c>ca.crt</c>) and the other certificates and keys of the run.</summary>
    public string PkiDirectory => Path.Combine(RunDirectory, "pki");

    public string KubectlPath { get; } = KubeBinaries.PathOf("kubectl");

    public string UnderlayNamespace { get; }

    public string ControlPlaneNamespace { get; }

    public string WorldNamespace { get; }

    /// <summary>kube-proxy's clusterCIDR.</summary>
    public string ClusterCidr { get; }

    public IPAddress ApiServerAddress { get; } = KubeAddressPlan.ApiServer;

    public Uri ApiServerUrl { get; } = new(string.Create(CultureInfo.InvariantCulture, $"https://{KubeAddressPlan.ApiServer}:{KubeAddressPlan.ApiServerPort}"));

    /// <summary>The outside world: answers ping and <c>http://10.201.0.1:80/</c>, but only to node addresses.</summary>
    public IPAddress WorldAddress { get; } = KubeAddressPlan.World;

    public IReadOnlyList<KubeNode> Nodes
    {
        get { lock (_gate) { return [.. _nodes]; } }
    }

    /// <summary>Every image a node's containerd gets: the lab's, the options', and those imported since.</summary>
    internal IReadOnlyList<string> Images
    {
        get { lock (_gate) { return [.. _images]; } }
    }

    /// <summary>Every network namespace of the run not yet removed.</summary>
    public IReadOnlyList<string> Namespaces
    {
        get { lock (_gate) { return [.. _namespaces]; } }
    }

    /// <summary>Runs the built kubectl as the admin, from the control-plane namespace (default timeout 60 s).</summary>
    public CommandResult Kubectl(params string[] args) => Kubectl(DefaultKubectlTimeout, args);

    public CommandResult Kubectl(TimeSpan timeout, params string[] args) => RunKubectl(timeout, null, args);

    /// <summary>Runs kubectl with <paramref name="input"/> on its stdin (e.g. <c>apply -f -</c>).</summary>
    public CommandResult KubectlWithInput(string input, params string[] args) => RunKubectl(DefaultKubectlTimeout, input, args);

    /// <summary><c>kubectl apply -f -</c>; throws with kubectl's output when it fails.</summary>
    public CommandResult Apply(string yaml) => KubectlWithInput(yaml, "apply", "-f", "-").EnsureSuccess();

    /// <summary><c>kubectl delete --ignore-not-found -f -</c> (waits for the objects to be gone); throws when it fails.</summary>
    public CommandResult Delete(string yaml) => KubectlWithInput(yaml, "delete", "--ignore-not-found", "-f", "-").EnsureSuccess();

    /// <summary>GETs an API path (<c>/api/v1/nodes</c>) straight from this process: cheaper than kubectl for polling.</summary>
    public JsonDocument GetJson(string apiPath) => Api.GetJson(apiPath);

    /// <summary>
    /// Imports a docker-archive or OCI tar into every running node's containerd (namespace
    /// <c>k8s.io</c>), and into nodes added or booted again later (<see cref="AddNode"/>,
    /// <see cref="KubeNode.Start"/>). Pods must reference it by the tag in the archive, with
    /// <c>imagePullPolicy: Never</c> or <c>IfNotPresent</c>.
    /// </summary>
    public void ImportImage(string tarPath)
    {
        string tar = Path.GetFullPath(tarPath);
        if (!File.Exists(tar))
        {
            throw new FileNotFoundException($"no image archive at {tar}", tar);
        }
        lock (_gate)
        {
            _images.Add(tar);
        }
        foreach (KubeNode node in Nodes.Where(n => n.IsRunning))
        {
            node.Import(tar);
        }
        Log($"imported {tar} into {string.Join(", ", Nodes.Where(n => n.IsRunning).Select(n => n.Name))}");
    }

    /// <summary>
    /// Adds and starts one more node (the next index: node3 after node1 and node2, even if one of
    /// them was stopped) with every image imported so far; returns once it has registered.
    /// </summary>
    public KubeNode AddNode(TimeSpan? timeout = null)
    {
        KubeNode node;
        IReadOnlyList<string> images;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_nodes.Count >= KubeAddressPlan.MaxNodes)
            {
                throw new InvalidOperationException($"a cluster has at most {KubeAddressPlan.MaxNodes} nodes");
            }
            node = new KubeNode(this, _nodes.Count + 1);
            _nodes.Add(node);
            images = [.. _images];
        }
        node.PrepareHost();
        node.StartContainerd(images);
        node.StartKubernetes(KubeconfigPath);
        WaitForNodesRegistered(timeout);
        return node;
    }

    /// <summary>
    /// Stops kube-apiserver (SIGTERM, then SIGKILL after 3 s); etcd and everything else keep
    /// running. The controller manager and the scheduler may give up meanwhile, as they do in a
    /// real cluster: <see cref="StartApiServer"/> restarts them then, as kubelet would.
    /// </summary>
    public void StopApiServer()
    {
        Log("stopping kube-apiserver");
        _apiServerStopped = true;
        _apiClientsMayHaveExited = true;
        ControlPlane.ApiServer.Stop(TimeSpan.FromSeconds(3));
    }

    /// <summary>Starts kube-apiserver again with the same etcd and certificates; returns once it is ready.</summary>
    public void StartApiServer(TimeSpan? timeout = null)
    {
        Log("starting kube-apiserver");
        ControlPlane.ApiServer.Start();
        _apiServerStopped = false;
        WaitForApiServer(timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>Every process of the run: control plane, world, and each node's (containers included).</summary>
    public IReadOnlySet<int> ProcessIds()
    {
        var pids = new HashSet<int>();
        foreach (string ns in Namespaces)
        {
            pids.UnionWith(LabNamespaces.Pids(ns));
        }
        foreach (KubeNode node in Nodes)
        {
            pids.UnionWith(node.ProcessIds());
        }
        return pids;
    }

    /// <summary>The resident memory of all the run's processes (shared pages counted in each).</summary>
    public long ResidentBytes()
    {
        long total = 0;
        foreach (int pid in ProcessIds())
        {
            try
            {
                string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture, out long kib))
                {
                    total += kib * 1024;
                }
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
        }
        return total;
    }

    /// <summary>Writes a line to the lab's log, if it has one.</summary>
    public void Log(string line)
    {
        try
        {
            _log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} kube lab {RunName}: {line}"));
        }
        catch (InvalidOperationException)
        {
            // xunit's output helper refuses lines once its test has finished.
        }
    }

    /// <summary>Runs a command in a network namespace only (no mount namespace change) and throws when it fails.</summary>
    internal static CommandResult InNetns(string netns, params string[] args) =>
        Command.Run("nsenter", ["--net=" + NetNs.PathOf(netns), "--", .. args]).EnsureSuccess();

    /// <summary>Creates a namespace of the run, tracked before it exists so a failure halfway is still cleaned up.</summary>
    internal void AddNamespace(string name)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _namespaces.Add(name);
        }
        LabNamespaces.Add(name);
    }

    /// <summary>Kills what runs in a namespace of the run and deletes it; returns what failed, or null.</summary>
    internal string? RemoveNamespace(string name)
    {
        lock (_gate)
        {
            _ = _namespaces.Remove(name);
        }
        return LabNamespaces.Destroy(name);
    }

    private CommandResult RunKubectl(TimeSpan timeout, string? input, string[] args) =>
        Command.Run(timeout, "nsenter",
            ["--net=" + NetNs.PathOf(ControlPlaneNamespace), "--", KubectlPath, "--kubeconfig", KubeconfigPath,
             "--cache-dir", Path.Combine(RunDirectory, "kubectl-cache"), .. args],
            input,
            // kubectl writes to $HOME/.kube otherwise
            new Dictionary<string, string> { ["HOME"] = RunDirectory });
}
