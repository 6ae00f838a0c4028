using Microsoft.Extensions.Logging;
using Weave.Kube.Api;
using Weave.Kube.Peers;

namespace Weave.Kube;

public sealed partial class KubeAddOn
{
    internal IKubeApi Api => _api;
    internal KubeAddOnOptions Options => _options;
    internal TimeProvider Time => _time;
    internal ILogger Log => _log;

    /// <summary>
    /// Reclaims after the node follower asks (a deletion, a fresh list) and every
    /// <see cref="ReclaimInterval"/>, one run at a time, each after a random pause of up to
    /// <see cref="ReclaimJitter"/>, once this peer is in the list. Also notices when this peer itself
    /// left the list while running.
    /// </summary>
    private async Task ReclaimLoopAsync(Task registered, PeerReclaimer reclaimer, NodeFollower nodes, CancellationToken ct)
    {
        await registered.ConfigureAwait(false);
        var retry = new ApiRetry(_log, _time);
        bool saidReclaimed = false;
        while (true)
        {
            using (var interval = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                interval.CancelAfter(ReclaimInterval);
                try
                {
                    _ = await nodes.ReclaimRequests.ReadAsync(interval.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // The interval passed without a request: look anyway.
                }
            }
            int pause;
            lock (_random)
            {
                pause = _random.Next((int)ReclaimJitter.TotalMilliseconds);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(pause), _time, ct).ConfigureAwait(false);
            if (nodes.LiveNodes is not { } live)
            {
                continue;
            }
            try
            {
                _ = await reclaimer.ReclaimAsync(live, ct).ConfigureAwait(false);
                PeerList list = _registry.PeersOf(await _registry.GetOrCreateAsync(ct).ConfigureAwait(false));
                if (!list.Contains(_options.PeerName) && list.Peers.Count > 0 && !saidReclaimed)
                {
                    KubeLog.ReclaimedWhileRunning(_log, _options.PeerName, _registry.Where);
                    saidReclaimed = true;
                }
                retry.Succeeded();
            }
            catch (Exception e) when (e is KubeApiException or InvalidDataException)
            {
                KubeLog.ReclaimFailed(_log, e.Message);
                _ = nodes.ReclaimRequestsWriter.TryWrite(true);
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }
}
