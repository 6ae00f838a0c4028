using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Ipam;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Router.Api;
using Weave.Router.Clusters;
using Weave.Router.Launch;
using Weave.Router.Mesh;
using Weave.Router.Netfilter;

namespace Weave.Router.Kubernetes;

/// <summary>
/// <c>weave launch --kubernetes</c>: before the router starts, what it learns from the API (its
/// first peers, the consensus size, whether its IP allocation state is still its own); once it
/// runs, the add-on's loops (<see cref="KubeAddOn"/>), the bridge exposed to the host, and the
/// host's netfilter kept in place (<see cref="HostNetfilter"/>).
/// </summary>
internal sealed class KubernetesMode : IAsyncDisposable
{
    /// <summary>How often the host's netfilter is checked (and restored if someone removed it).</summary>
    public static readonly TimeSpan NetfilterInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_restartAfter = TimeSpan.FromSeconds(30);

    private readonly RouterOptions _options;
    private readonly KubeApiClient _api;
    private readonly KubeAddOn _addOn;
    private readonly INftables _nft;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private IReadOnlyList<IPAddress> _targets = [];
    private bool _disposed;

    private KubernetesMode(RouterOptions options, KubeApiClient api, KubeAddOn addOn, INftables nft, TimeProvider time, ILogger log)
    {
        _options = options;
        _api = api;
        _addOn = addOn;
        _nft = nft;
        _time = time;
        _log = log;
    }

    /// <summary>The node's name: the DaemonSet sets <c>HOSTNAME</c> to <c>spec.nodeName</c> (as weave-kube's did).</summary>
    public static string NodeName => Environment.GetEnvironmentVariable("HOSTNAME") is { Length: > 0 } name ? name : Environment.MachineName;

    /// <exception cref="LaunchException">Not in a pod with a service account, or nft is missing.</exception>
    public static KubernetesMode Create(RouterOptions options, ILoggerFactory logs, TimeProvider time, Random random)
    {
        if (!InClusterConfig.TryLoad(Environment.GetEnvironmentVariable, InClusterConfig.DefaultDirectory, out InClusterConfig? config, out string error))
        {
            throw new LaunchException("--kubernetes: " + error);
        }
        if (!NftCommand.TryFind(out NftCommand? nft))
        {
            throw new LaunchException("--kubernetes sets up the host's netfilter with nft, which is not installed (Debian package nftables)");
        }
        ILogger log = logs.CreateLogger("weave");
        var api = new KubeApiClient(config!, $"weave/{RouterHost.Info.Version}");
        var addOn = new KubeAddOn(api, new KubeAddOnOptions
        {
            NodeName = NodeName,
            PeerName = options.Name.ToString(),
            Namespace = config!.Namespace,
            StaticPeers = options.Peers.Count > 0,
        }, time, new Random(random.Next()), log); // its own: the mesh loop uses the router's meanwhile
        return new KubernetesMode(options, api, addOn, nft!, time, log);
    }

    /// <summary>
    /// Waits for the API, then returns the options to start with: the other nodes as targets
    /// (unless peers were given), consensus among all nodes at a first start (unless
    /// <c>--ipalloc-init</c> says otherwise); removes the IP allocation state when another router
    /// reclaimed this peer's space while it was down.
    /// </summary>
    public async Task<RouterOptions> PrepareAsync(CancellationToken ct)
    {
        KubeStart start = await _addOn.PrepareAsync(IsLocal, ct).ConfigureAwait(false);
        if (start.ReclaimedWhileDown && File.Exists(_options.IpamStatePath))
        {
            try
            {
                File.Delete(_options.IpamStatePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LaunchException($"this peer was reclaimed while it was down, but its old IP allocation state {_options.IpamStatePath} cannot be removed: {e.Message}");
            }
            RouterLog.StateRemoved(_log, _options.IpamStatePath,
                "this peer was reclaimed by another router while it was down; starting with fresh IP allocation state");
        }
        RouterOptions options = _options with
        {
            Peers = _options.Peers.Count > 0 ? _options.Peers : [.. start.Targets.Select(a => new Weave.Gossip.PeerAddress(a.ToString(), _options.Port))],
            IpamInit = _options.IpamInit ?? IpamInit.Consensus(start.NodeCount),
        };
        _targets = _options.Peers.Count > 0 ? [] : start.Targets;
        RouterLog.KubernetesStart(_log, start.NodeCount, options.Peers.Count, options.EffectiveIpamInit.ToString());
        return options;
    }

    /// <summary>Starts the loops that run beside the router until <see cref="DisposeAsync"/>.</summary>
    public void Start(MeshHost mesh, Action<IPAddress, int> addToBridge)
    {
        var control = new MeshKubeControl(mesh, _options.Port);
        CancellationToken stop = _stop.Token;
        _loops.Add(Task.Run(() => SuperviseAsync("the add-on", ct => _addOn.RunAsync(control, control, _targets, IsLocal, ct), stop)));
        _loops.Add(Task.Run(() => ExposeAsync(mesh, addToBridge, stop)));
        _loops.Add(Task.Run(() => NetfilterAsync(mesh, stop)));
    }

    private async Task SuperviseAsync(string what, Func<CancellationToken, Task> run, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await run(ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug, not the API failing (that is retried inside): say so loudly, then start over.
                RouterLog.KubernetesFailed(_log, e, $"{what}: {e.Message}");
                await Task.Delay(s_restartAfter, _time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <c>weave expose</c>, as weave-kube ran it after start: the bridge gets an address of the
    /// range (<c>--expose-ip</c>, else an allocated one) so the host reaches pods, here and on other nodes.
    /// </summary>
    private async Task ExposeAsync(MeshHost mesh, Action<IPAddress, int> addToBridge, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                AllocationResult result = _options.ExposeAddress is { } wanted
                    ? await mesh.ClaimAsync(IpamEndpoints.ExposeId, wanted, _options.IpamRange.PrefixLength, null, ct).ConfigureAwait(false)
                    : await mesh.AllocateAsync(IpamEndpoints.ExposeId, null, null, ct).ConfigureAwait(false);
                if (result is { Succeeded: true, Address: { } address })
                {
                    addToBridge(address, result.PrefixLength);
                    RouterLog.Exposed(_log, _options.Bridge, $"{address}/{result.PrefixLength}");
                    return;
                }
                RouterLog.ExposeFailed(_log, _options.Bridge, result.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or LinuxError)
            {
                RouterLog.ExposeFailed(_log, _options.Bridge, e.Message);
            }
            await Task.Delay(s_retry, _time, ct).ConfigureAwait(false);
        }
    }

    private async Task NetfilterAsync(MeshHost mesh, CancellationToken ct)
    {
        var netfilter = new HostNetfilter(_nft, new HostRules(_options.IpamRange, _options.Bridge, _options.Port, _options.HttpEndPoint.Port, _options.NoMasqLocal), _log);
        string? lastError = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                IpamStatus status = await ((IIpamControl)mesh).StatusAsync(ct).ConfigureAwait(false);
                ClusterView clusters = await mesh.ClustersAsync(ct).ConfigureAwait(false);
                netfilter.Reconcile(LocalRanges.Of(status, _options.Name), clusters.PeeredRanges);
                lastError = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NftablesException or InvalidOperationException)
            {
                if (e.Message != lastError)
                {
                    RouterLog.NetfilterFailed(_log, e.Message, (int)NetfilterInterval.TotalSeconds);
                    lastError = e.Message;
                }
            }
            await Task.Delay(NetfilterInterval, _time, ct).ConfigureAwait(false);
        }
    }

    private static bool IsLocal(IPAddress address)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        return netlink.FindLinkWithAddress(address) is not null;
    }

    /// <summary>Stops the loops and waits for them; the host's netfilter and the exposed address stay (pods keep working across a restart).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Task loop in _loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
        _stop.Dispose();
        _api.Dispose();
    }
}
