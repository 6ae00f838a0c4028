using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Weave.Lab;
using Weave.Linux;

namespace Weave.KubeLab;

/// <summary>
/// Bringing a cluster up: the nodes' hosts (network, namespaces) first, then their containerd and
/// images while etcd and the API server start; kubelets start before the API server is ready.
/// </summary>
public sealed partial class KubeCluster
{
    private ControlPlane? _controlPlane;
    private KubeApi? _api;
    private KubePki? _pki;

    private ControlPlane ControlPlane => _controlPlane ?? throw new InvalidOperationException("the cluster has not been built");

    private KubeApi Api => _api ?? throw new InvalidOperationException("the cluster has not been built");

    /// <summary>
    /// Removes crashed runs' leftovers, makes sure the binaries and images are there (building them
    /// the first time), then starts the control plane and <see cref="KubeClusterOptions.NodeCount"/>
    /// nodes and returns when every node has registered (NotReady: there is no CNI config yet).
    /// On failure everything built so far is removed and the exception says why (logs included).
    /// </summary>
    public static KubeCluster Start(KubeClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NodeCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.NodeCount, KubeAddressPlan.MaxNodes);
        if (!Privileges.IsRoot)
        {
            throw new InvalidOperationException("the Kubernetes lab needs root");
        }
        foreach (string image in options.Images)
        {
            if (!File.Exists(image))
            {
                throw new FileNotFoundException($"no image archive at {image}", image);
            }
        }
        _ = KubeLeftovers.Remove(options.Log);
        KubeBinaries.Ensure(options.Log);
        IReadOnlyList<string> images = KubeImages.EnsureCached(options.Log);

        var cluster = new KubeCluster(global::Weave.Lab.RunName.Next(), options, images);
        ExitCleanup.Track(cluster);
        try
        {
            var clock = Stopwatch.StartNew();
            cluster.Build(options.NodeCount, options.StartTimeout);
            cluster.Log(string.Create(CultureInfo.InvariantCulture, $"{options.NodeCount} node(s) registered after {clock.Elapsed.TotalSeconds:F1} s"));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private void Build(int nodeCount, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan Left() => timeout - clock.Elapsed;
        _ = Directory.CreateDirectory(LogDirectory);
        Log($"run directory {RunDirectory}");
        HostMountPoints.Ensure(_log is null ? null : Log);

        KubePki pki = KubePki.Create(ApiServerAddress);
        _pki = pki;
        pki.WriteTo(PkiDirectory);
        File.WriteAllText(KubeconfigPath, pki.Kubeconfig(ApiServerUrl));
        BuildNetwork();
        _controlPlane = new ControlPlane(this);
        _api = new KubeApi(ControlPlaneNamespace, pki, ApiServerUrl);

        _ = Directory.CreateDirectory(Path.GetDirectoryName(ControlPlane.WorldPage)!);
        File.WriteAllText(ControlPlane.WorldPage, $"weave kube lab world {WorldAddress}\n");
        ControlPlane.WorldHttpd.Start();
        ControlPlane.Etcd.Start(); // light, and ready by the time the hosts are
        lock (_gate)
        {
            for (int i = 1; i <= nodeCount; i++)
            {
                _nodes.Add(new KubeNode(this, i));
            }
        }
        // The hosts before the API server competes for the CPUs: their many short commands would
        // wait behind its start.
        RunOnEveryNode(node => node.PrepareHost(), Left());
        IReadOnlyList<string> images;
        lock (_gate)
        {
            images = [.. _images];
        }
        Task containerds = Task.Run(() => RunOnEveryNode(node => node.StartContainerd(images), Left()));
        try
        {
            WaitFor("etcd to be healthy", () => Api.IsOk(new Uri(ControlPlane.EtcdUrl, "/health")), Left());
            ControlPlane.ApiServer.Start();
        }
        catch
        {
            // Let the nodes' setup finish (or fail) before the cluster is taken down under it.
            _ = containerds.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(60));
            throw;
        }
        containerds.GetAwaiter().GetResult();
        // Kubelets start while the API server does: their first seconds go to cAdvisor, which
        // waits 5 s for a Docker that is not there, and they retry registering until it answers.
        foreach (KubeNode node in Nodes)
        {
            node.StartKubernetes(KubeconfigPath);
        }
        WaitForApiServer(Left());
        ControlPlane.ControllerManager.Start();
        ControlPlane.Scheduler.Start();
        WaitForNodesRegistered(Left());
    }

    /// <summary>Runs a step on every node at once; throws the first node's failure as it is.</summary>
    private void RunOnEveryNode(Action<KubeNode> step, TimeSpan timeout)
    {
        Task[] steps = [.. Nodes.Select(node => Task.Run(() => step(node)))];
        bool done;
        try
        {
            done = Task.WaitAll(steps, timeout);
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            throw;
        }
        if (!done)
        {
            throw new TimeoutException($"the nodes were not set up within {timeout}");
        }
    }

    /// <summary>
    /// The underlay bridge and the two namespaces besides the nodes: the control plane (the only
    /// route is the underlay's) and the world (ip_forward=0, 10.201.0.1 on lo, the nodes' gateway).
    /// </summary>
    private void BuildNetwork()
    {
        string prefix = "/" + KubeAddressPlan.UnderlayPrefixLength.ToString(CultureInfo.InvariantCulture);
        AddNamespace(UnderlayNamespace);
        Ip.In(UnderlayNamespace, "link", "add", UnderlayBridge, "type", "bridge");
        Ip.In(UnderlayNamespace, "link", "set", UnderlayBridge, "up");

        AddNamespace(ControlPlaneNamespace);
        Ip.In(UnderlayNamespace, "link", "add", "ctrl", "type", "veth", "peer", "name", "eth0", "netns", ControlPlaneNamespace);
        Ip.In(UnderlayNamespace, "link", "set", "ctrl", "master", UnderlayBridge, "up");
        Ip.In(ControlPlaneNamespace, "addr", "add", ApiServerAddress + prefix, "dev", "eth0");
        Ip.In(ControlPlaneNamespace, "link", "set", "eth0", "up");

        AddNamespace(WorldNamespace);
        Ip.In(UnderlayNamespace, "link", "add", "world", "type", "veth", "peer", "name", "eth0", "netns", WorldNamespace);
        Ip.In(UnderlayNamespace, "link", "set", "world", "master", UnderlayBridge, "up");
        Ip.In(WorldNamespace, "addr", "add", KubeAddressPlan.WorldGateway + prefix, "dev", "eth0");
        Ip.In(WorldNamespace, "addr", "add", WorldAddress + "/32", "dev", "lo");
        Ip.In(WorldNamespace, "link", "set", "eth0", "up");
        InNetns(WorldNamespace, "sysctl", "-qw", "net.ipv4.ip_forward=0");
        Log($"underlay {KubeAddressPlan.Underlay} in {UnderlayNamespace}; API server {ApiServerAddress} in {ControlPlaneNamespace}; " +
            $"world {WorldAddress} via {KubeAddressPlan.WorldGateway} in {WorldNamespace}");
    }

    /// <summary>Waits for /readyz, then restarts the API server's clients that gave up while it was away.</summary>
    private void WaitForApiServer(TimeSpan timeout)
    {
        WaitFor("kube-apiserver to be ready", () => Api.IsOk(new Uri(ApiServerUrl, "/readyz")), timeout);
        foreach (KubeDaemon client in new[] { ControlPlane.ControllerManager, ControlPlane.Scheduler }.Where(d => d.HasExited))
        {
            Log($"{client.Name} exited while the API server was away: starting it again");
            client.Start();
        }
        _apiClientsMayHaveExited = false;
    }
}
