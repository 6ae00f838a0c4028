using System.Net;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Weave.KubeLab;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// One cluster for the whole suite (an xunit class fixture): two nodes with the add-on, the
/// suite's namespaces and pods (<see cref="SuitePods"/>), echo servers in every pod, and what the
/// suite has set since (labels, policies), from which <see cref="State"/> gives the model its
/// input. It starts on the first test's <see cref="Start"/> (a fixture cannot be skipped without
/// root); disposing it disposes the cluster, which removes everything, also after a failure.
/// </summary>
public sealed class PolicyLab : IDisposable
{
    // In namespace default, which no scenario's policy is about.
    private const string Placeholder = "placeholder";

    private readonly Dictionary<string, Dictionary<string, string>> _namespaceLabels = [];
    private readonly Dictionary<(string Ns, string Name), Dictionary<string, string>> _podLabels = [];
    private readonly Dictionary<(string Ns, string Name), ClusterPod> _pods = [];
    private readonly Dictionary<(string Ns, string Name), PodServers> _servers = [];
    private readonly Dictionary<(string Ns, string Name), NetworkPolicy> _policies = [];
    private KubeCluster? _cluster;
    private ExceptionDispatchInfo? _startFailure;

    /// <summary>Where the lab's lines go: the running test's output.</summary>
    public Action<string>? Output { get; set; }

    public KubeCluster Cluster => _cluster ?? throw new InvalidOperationException("the lab has not started");

    internal ClusterState State => new(
        _namespaceLabels.ToDictionary(n => n.Key, n => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(n.Value)),
        [.. _pods.Values.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)],
        [.. _policies.Values]);

    /// <summary>Starts the cluster and the pods once; a later call returns at once, or fails as the first did.</summary>
    public void Start()
    {
        _startFailure?.Throw();
        if (_cluster is not null)
        {
            return;
        }
        try
        {
            _cluster = AddOn.StartCluster(2, Log);
            AddOn.Install(_cluster);
            foreach (string ns in SuitePods.Namespaces)
            {
                _cluster.Apply(SuitePods.NamespaceManifest(ns));
                _namespaceLabels[ns] = new Dictionary<string, string>(SuitePods.NamespaceLabels(ns));
            }
            foreach (string ns in SuitePods.Namespaces)
            {
                foreach (string name in SuitePods.Names)
                {
                    _cluster.Apply(SuitePods.PodManifest(ns, name));
                    _podLabels[(ns, name)] = new Dictionary<string, string>(SuitePods.PodLabels(name));
                }
            }
            foreach (string ns in SuitePods.Namespaces)
            {
                foreach (string name in SuitePods.Names)
                {
                    Serve(ns, name);
                }
            }
            Log(string.Join(", ", _pods.Values.Select(p => $"{p} {p.Address} on {p.Node}")));
        }
        catch (Exception e)
        {
            _startFailure = ExceptionDispatchInfo.Capture(e);
            throw;
        }
    }

    /// <summary>Every (source, target, port) cell: pod to pod (not to itself) on each served port and protocol, and pod to the world on TCP 80.</summary>
    internal IReadOnlyList<ProbeCase> Matrix()
    {
        ClusterState state = State;
        var probes = new List<ProbeCase>();
        foreach (ClusterPod source in state.Pods)
        {
            foreach (ClusterPod target in state.Pods.Where(t => t != source))
            {
                foreach (int port in PodServers.Ports)
                {
                    probes.Add(new ProbeCase(source, ProbeTarget.ToPod(target), port, Protocol.Tcp));
                    probes.Add(new ProbeCase(source, ProbeTarget.ToPod(target), port, Protocol.Udp));
                }
            }
            probes.Add(new ProbeCase(source, ProbeTarget.Outside(Cluster.WorldAddress), 80, Protocol.Tcp));
        }
        return probes;
    }

    /// <summary>Deletes every policy, then applies <paramref name="policies"/> in one <c>kubectl apply</c>.</summary>
    internal void ReplacePolicies(IReadOnlyList<NetworkPolicy> policies)
    {
        _ = Cluster.Kubectl("delete", "networkpolicies", "--all", "--all-namespaces", "--wait=true").EnsureSuccess();
        _policies.Clear();
        ApplyPolicies(policies);
    }

    /// <summary><c>kubectl apply</c>: a policy of the same name is changed in place, others are added.</summary>
    internal void ApplyPolicies(IReadOnlyList<NetworkPolicy> policies)
    {
        if (policies.Count == 0)
        {
            return;
        }
        _ = Cluster.Apply(PolicyManifest.Render(policies));
        foreach (NetworkPolicy policy in policies)
        {
            _policies[(policy.Namespace, policy.Name)] = policy;
        }
    }

    internal void DeletePolicy(string ns, string name)
    {
        _ = Cluster.Kubectl("-n", ns, "delete", "networkpolicy", name).EnsureSuccess();
        _ = _policies.Remove((ns, name));
    }

    /// <summary><c>kubectl label --overwrite</c> on a pod, or <c>key-</c> to remove the label when <paramref name="value"/> is null; the model sees it at once.</summary>
    internal void LabelPod(string ns, string name, string key, string? value)
    {
        _ = Cluster.Kubectl("-n", ns, "label", "pod", name, value is null ? key + "-" : $"{key}={value}", "--overwrite").EnsureSuccess();
        if (value is null)
        {
            _ = _podLabels[(ns, name)].Remove(key);
        }
        else
        {
            _podLabels[(ns, name)][key] = value;
        }
        _pods[(ns, name)] = _pods[(ns, name)] with { Labels = new Dictionary<string, string>(_podLabels[(ns, name)]) };
    }

    internal void LabelNamespace(string ns, string key, string value)
    {
        _ = Cluster.Kubectl("label", "namespace", ns, $"{key}={value}", "--overwrite").EnsureSuccess();
        _namespaceLabels[ns][key] = value;
    }

    /// <summary>
    /// Deletes a pod and creates it again, with its labels as they were: a new sandbox and a new
    /// address, because a placeholder pod on the same node takes the old one meanwhile (the
    /// allocator could otherwise give it back, and a controller that kept the old address would pass).
    /// </summary>
    internal async Task RecreatePodAsync(string ns, string name)
    {
        if (_servers.Remove((ns, name), out PodServers? servers))
        {
            await servers.DisposeAsync();
        }
        ClusterPod old = _pods[(ns, name)];
        string bridgeBefore = BridgeMac(old.Node);
        _ = Cluster.DeletePods(ns, name);
        _ = _pods.Remove((ns, name));
        // The pod object goes before its sandbox's network: wait until the router has freed the address.
        Cluster.WaitFor($"{old.Address} to be released", () => !AddOn.Weave(Cluster, old.Node, "ps").Stdout.Contains($" {old.Address}/", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        Cluster.Apply(AddOn.Pod(Placeholder, old.Node));
        Cluster.WaitForPodReady("default", Placeholder);
        Cluster.Apply(SuitePods.PodManifest(ns, name, _podLabels[(ns, name)]));
        Serve(ns, name);
        IPAddress placeholder = AddOn.PodIp(Cluster, Placeholder);
        _ = Cluster.Kubectl("delete", "pod", Placeholder, "--wait=false").EnsureSuccess();
        Log($"{ns}/{name} recreated: {old.Address} -> {_pods[(ns, name)].Address} (the placeholder had {placeholder}); " +
            $"{old.Node}'s bridge MAC {bridgeBefore} -> {BridgeMac(old.Node)}");
    }

    /// <summary>The MAC of the bridge <c>weave</c> on a node: the pods' gateway, as their neighbour entries cache it.</summary>
    internal string BridgeMac(string node) =>
        Cluster.Nodes.Single(n => n.Name == node).Exec("ip", "-br", "link", "show", "weave").Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, string mac, ..]
            ? mac : "(unknown)";

    /// <summary>xunit 2 disposes class fixtures only through <see cref="IDisposable"/>, so the servers are stopped synchronously.</summary>
    public void Dispose()
    {
        try
        {
            foreach (PodServers servers in _servers.Values)
            {
                servers.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            _servers.Clear();
        }
        finally
        {
            _cluster?.Dispose();
        }
    }

    internal void Log(string line)
    {
        try
        {
            Output?.Invoke(line);
        }
        catch (InvalidOperationException)
        {
            // xunit refuses lines once the test that gave the output has finished.
        }
    }

    /// <summary>Waits for the pod, finds its address and process, and starts its echo servers.</summary>
    private void Serve(string ns, string name)
    {
        Cluster.WaitForPodReady(ns, name);
        using JsonDocument json = Cluster.GetJson($"/api/v1/namespaces/{ns}/pods/{name}");
        JsonElement status = json.RootElement.GetProperty("status");
        string node = json.RootElement.GetProperty("spec").GetProperty("nodeName").GetString()!;
        string containerId = status.GetProperty("containerStatuses")[0].GetProperty("containerID").GetString()!;
        int pid = PodProcess.Find(Cluster.Nodes.Single(n => n.Name == node), containerId);
        var pod = new ClusterPod(ns, name, node, new Dictionary<string, string>(_podLabels[(ns, name)]),
            IPAddress.Parse(status.GetProperty("podIP").GetString()!), SuitePods.PortsOf(name), pid);
        _pods[(ns, name)] = pod;
        _servers[(ns, name)] = PodServers.Start(pod.NetnsPath);
    }
}
