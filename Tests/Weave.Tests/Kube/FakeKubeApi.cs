using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Weave.Kube.Api;

namespace Weave.Tests.Kube;

/// <summary>
/// An API server in memory, with the semantics the add-on relies on: ConfigMaps versioned, an
/// update naming an old version refused with 409 Conflict, creating an existing one refused with
/// AlreadyExists; Nodes listed and watched. <see cref="Fault"/> injects failures by request.
/// </summary>
internal sealed class FakeKubeApi : IKubeApi
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KubeConfigMap> _configMaps = new(StringComparer.Ordinal);
    private readonly List<KubeNode> _nodes = [];
    private readonly List<Channel<NodeEvent>> _watches = [];
    private long _version = 100;

    public string Server => "https://fake";

    /// <summary>Called with the request (<c>update configmaps</c>, <c>list nodes</c>, ...) before it is served: an exception returned is thrown.</summary>
    public Func<string, Exception?> Fault { get; set; } = _ => null;

    public int Updates { get; private set; }

    public List<(string Node, NodeCondition Condition)> Patches { get; } = [];

    public void AddNode(string name, string internalIp)
    {
        var node = new KubeNode
        {
            Metadata = new ObjectMeta { Name = name },
            Status = new NodeStatus { Addresses = [new NodeAddress("InternalIP", internalIp), new NodeAddress("Hostname", name)] },
        };
        Publish(NodeEventKind.Added, node, n => _nodes.Add(n));
    }

    public void DeleteNode(string name)
    {
        KubeNode? node;
        lock (_gate)
        {
            node = _nodes.Find(n => n.Name == name);
        }
        if (node is not null)
        {
            Publish(NodeEventKind.Deleted, node, n => _nodes.RemoveAll(x => x.Name == n.Name));
        }
    }

    private void Publish(NodeEventKind kind, KubeNode node, Action<KubeNode> change)
    {
        lock (_gate)
        {
            KubeNode versioned = node with { Metadata = node.Metadata with { ResourceVersion = NextVersion() } };
            change(versioned);
            foreach (Channel<NodeEvent> watch in _watches)
            {
                _ = watch.Writer.TryWrite(new NodeEvent(kind, versioned));
            }
        }
    }

    private string NextVersion() => (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void Check(string what)
    {
        if (Fault(what) is { } e)
        {
            throw e;
        }
    }

    public static KubeApiException Unreachable(string what) => new(what, null, null, $"{what}: cannot reach the Kubernetes API at https://fake: connection refused");

    public static KubeApiException Forbidden(string what) =>
        new(what, HttpStatusCode.Forbidden, "Forbidden", $"{what}: forbidden: User \"system:serviceaccount:kube-system:weave-net\" cannot {what}");

    public Task<KubeVersion> GetVersionAsync(CancellationToken ct)
    {
        Check("get version");
        return Task.FromResult(new KubeVersion { GitVersion = "v1.20.2" });
    }

    public Task<KubeNodeList> ListNodesAsync(CancellationToken ct)
    {
        Check("list nodes");
        lock (_gate)
        {
            return Task.FromResult(new KubeNodeList { Metadata = new ListMeta { ResourceVersion = _version.ToString(System.Globalization.CultureInfo.InvariantCulture) }, Items = [.. _nodes] });
        }
    }

    public async IAsyncEnumerable<NodeEvent> WatchNodesAsync(string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        Check("watch nodes");
        var channel = Channel.CreateUnbounded<NodeEvent>();
        lock (_gate)
        {
            _watches.Add(channel);
        }
        try
        {
            await foreach (NodeEvent e in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watches.Remove(channel);
            }
        }
    }

    public Task PatchNodeConditionAsync(string node, NodeCondition condition, CancellationToken ct)
    {
        Check("patch nodes/status");
        lock (_gate)
        {
            Patches.Add((node, condition));
        }
        return Task.CompletedTask;
    }

    public Task<KubeConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken ct)
    {
        Check("get configmaps");
        lock (_gate)
        {
            return Task.FromResult(_configMaps.GetValueOrDefault($"{ns}/{name}"));
        }
    }

    public Task<KubeConfigMap> CreateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct)
    {
        Check("create configmaps");
        lock (_gate)
        {
            string key = $"{configMap.Metadata.Namespace}/{configMap.Metadata.Name}";
            if (_configMaps.ContainsKey(key))
            {
                throw new KubeApiException("create configmaps", HttpStatusCode.Conflict, "AlreadyExists", "already exists");
            }
            KubeConfigMap stored = configMap with { Metadata = configMap.Metadata with { ResourceVersion = NextVersion() } };
            _configMaps[key] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<KubeConfigMap> UpdateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct)
    {
        Check("update configmaps");
        lock (_gate)
        {
            string key = $"{configMap.Metadata.Namespace}/{configMap.Metadata.Name}";
            if (!_configMaps.TryGetValue(key, out KubeConfigMap? current))
            {
                throw new KubeApiException("update configmaps", HttpStatusCode.NotFound, "NotFound", "not found");
            }
            if (current.Metadata.ResourceVersion != configMap.Metadata.ResourceVersion)
            {
                throw new KubeApiException("update configmaps", HttpStatusCode.Conflict, "Conflict", "the object has been modified");
            }
            KubeConfigMap stored = configMap with { Metadata = configMap.Metadata with { ResourceVersion = NextVersion() } };
            _configMaps[key] = stored;
            Updates++;
            return Task.FromResult(stored);
        }
    }

    /// <summary>The map's annotations now (empty when it does not exist).</summary>
    public IReadOnlyDictionary<string, string> Annotations(string ns = "kube-system", string name = "weave-net")
    {
        lock (_gate)
        {
            return _configMaps.TryGetValue($"{ns}/{name}", out KubeConfigMap? map)
                ? new Dictionary<string, string>(map.Annotations, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
        }
    }

    public void SetAnnotations(IReadOnlyDictionary<string, string> annotations, string ns = "kube-system", string name = "weave-net")
    {
        lock (_gate)
        {
            _configMaps[$"{ns}/{name}"] = new KubeConfigMap
            {
                Metadata = new ObjectMeta { Name = name, Namespace = ns, ResourceVersion = NextVersion(), Annotations = new(annotations, StringComparer.Ordinal) },
            };
        }
    }
}
