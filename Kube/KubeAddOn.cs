using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Kube.Api;
using Weave.Kube.Peers;

namespace Weave.Kube;

/// <summary>
/// The router as a Kubernetes add-on: before the router starts, <see cref="PrepareAsync"/> asks
/// the API who the other nodes are and whether this peer's state survived; while it runs,
/// <see cref="RunAsync"/> records this peer in the peer list, marks the node's network up, follows
/// the Nodes (dialling new ones, forgetting deleted ones) and reclaims deleted nodes' address
/// space. An API that fails is retried, and each failure is said once (<see cref="ApiRetry"/>).
/// </summary>
public sealed partial class KubeAddOn
{
    /// <summary>How often the peer list is checked against the Nodes even without a deletion seen.</summary>
    public static readonly TimeSpan ReclaimInterval = TimeSpan.FromMinutes(5);

    /// <summary>The longest random pause before reclaiming after a deletion, so routers do not all race at once.</summary>
    public static readonly TimeSpan ReclaimJitter = TimeSpan.FromSeconds(5);

    private readonly IKubeApi _api;
    private readonly KubeAddOnOptions _options;
    private readonly PeerRegistry _registry;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;

    public KubeAddOn(IKubeApi api, KubeAddOnOptions options, TimeProvider time, Random random, ILogger log)
    {
        _api = api;
        _options = options;
        _time = time;
        _random = random;
        _log = log;
        _registry = new PeerRegistry(api, options.Namespace, time, random);
    }

    /// <summary>
    /// Asks the API until it answers (the router waits: it cannot choose its peers, its consensus
    /// size or whether to keep its state without it). Waits, too, while another router is reclaiming
    /// this very peer, so the state is judged after that ends.
    /// </summary>
    public async Task<KubeStart> PrepareAsync(Func<IPAddress, bool> isLocal, CancellationToken ct)
    {
        var retry = new ApiRetry(_log, _time);
        bool saidWaiting = false;
        while (true)
        {
            try
            {
                KubeVersion version = await _api.GetVersionAsync(ct).ConfigureAwait(false);
                KubeNodeList nodes = await _api.ListNodesAsync(ct).ConfigureAwait(false);
                KubeConfigMap map = await _registry.GetOrCreateAsync(ct).ConfigureAwait(false);
                PeerList list = _registry.PeersOf(map);
                if (map.Annotations.TryGetValue(PeerRegistry.LockKey(_options.PeerName), out string? holder) &&
                    holder != _options.PeerName && list.Contains(holder) && list.Contains(_options.PeerName))
                {
                    if (!saidWaiting)
                    {
                        KubeLog.WaitingForReclaim(_log, holder, _registry.Where);
                        saidWaiting = true;
                    }
                    await Task.Delay(TimeSpan.FromSeconds(2), _time, ct).ConfigureAwait(false);
                    continue;
                }
                KubeLog.Connected(_log, version.GitVersion ?? "(version unknown)", _api.Server, _options.NodeName, nodes.Items.Count);
                bool listed = list.Contains(_options.PeerName);
                return new KubeStart(NodePeers.Targets(nodes.Items, _options.NodeName, isLocal), Math.Max(1, nodes.Items.Count),
                    listed, list.Peers.Count(p => p.PeerName != _options.PeerName));
            }
            catch (Exception e) when (e is KubeApiException or InvalidDataException)
            {
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs until <paramref name="ct"/> fires; <paramref name="targets"/> are the peers the router
    /// was started with. A loop that fails (a bug: the API's failures are retried inside) ends them
    /// all at once and is thrown, so the caller sees it and can start over.
    /// </summary>
    public async Task RunAsync(IMeshTargets mesh, IPeerRemover remover, IReadOnlyList<IPAddress> targets, Func<IPAddress, bool> isLocal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var reclaimer = new PeerReclaimer(_registry, remover, _options.PeerName, _options.NodeName, _time, _log);
        var nodes = new NodeFollower(this, mesh, targets, isLocal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task registered = RegisterAsync(stop.Token);
        List<Task> running =
        [
            registered,
            MarkNetworkUpAsync(stop.Token),
            nodes.RunAsync(stop.Token),
            ReclaimLoopAsync(registered, reclaimer, nodes, stop.Token),
        ];
        try
        {
            while (running.Count > 0)
            {
                Task done = await Task.WhenAny(running).ConfigureAwait(false);
                running.Remove(done);
                await done.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (Task loop in running)
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (Exception) when (loop.IsCanceled || running.Count > 0)
                {
                    // Ended with the others; a second failure while ending is not the one to report.
                }
            }
        }
    }

    /// <summary>Puts this peer in the peer list (or corrects its node), retrying until the API takes it.</summary>
    private async Task RegisterAsync(CancellationToken ct)
    {
        var retry = new ApiRetry(_log, _time);
        var entry = new PeerEntry(_options.PeerName, _options.NodeName);
        while (true)
        {
            try
            {
                _ = await _registry.UpdateAsync(map =>
                {
                    PeerList list = _registry.PeersOf(map);
                    return list.Peers.Contains(entry) ? map : map.WithAnnotations(a => a[PeerRegistry.PeersKey] = list.With(entry).ToJson());
                }, ct).ConfigureAwait(false);
                KubeLog.Listed(_log, _options.PeerName, _registry.Where, _options.NodeName);
                return;
            }
            catch (Exception e) when (e is KubeApiException or InvalidDataException)
            {
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sets the node's NetworkUnavailable condition to False, reason WeaveIsUp, as Weave did, retrying until the API takes it.</summary>
    private async Task MarkNetworkUpAsync(CancellationToken ct)
    {
        var retry = new ApiRetry(_log, _time);
        while (true)
        {
            DateTimeOffset now = _time.GetUtcNow();
            try
            {
                await _api.PatchNodeConditionAsync(_options.NodeName, new NodeCondition
                {
                    Type = "NetworkUnavailable",
                    Status = "False",
                    Reason = "WeaveIsUp",
                    Message = "Weave pod has set this",
                    LastTransitionTime = now,
                    LastHeartbeatTime = now,
                }, ct).ConfigureAwait(false);
                KubeLog.NodeMarkedUp(_log, _options.NodeName);
                return;
            }
            catch (KubeApiException e)
            {
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }
}
