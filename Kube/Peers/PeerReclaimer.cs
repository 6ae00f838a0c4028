using Microsoft.Extensions.Logging;
using Weave.Kube.Api;

namespace Weave.Kube.Peers;

/// <summary>
/// Takes over the address space of routers whose Node was deleted, so it is not stranded (Weave
/// Net users' most reported pain). Every live router runs this when a Node goes away; the API
/// server makes exactly one of them act for each vanished peer:
/// <list type="number">
/// <item>Peers in the list whose node no longer exists are candidates (and an older peer of our
/// own node: that node's data was wiped since).</item>
/// <item>A router locks a candidate by writing its own name into the candidate's lock annotation,
/// with the map's resource version: of racing routers, exactly one write succeeds. A lock held by
/// a router that is itself no longer in the list is stale and may be taken over; a lock we hold
/// already (we died midway and restarted) is ours to finish.</item>
/// <item>The lock holder runs rmpeer, which refuses while the mesh still reaches the peer (it is
/// not gone: wait a little, then give up and unlock), and is harmless to repeat.</item>
/// <item>Then, in one write, the peer leaves the list, its own locks on others are dropped (it
/// may have died holding one) and our lock on it goes.</item>
/// </list>
/// A holder that dies after rmpeer leaves the list unchanged and its lock in place: it finishes
/// when it restarts, or someone else does once it has been reclaimed in turn.
/// </summary>
public sealed class PeerReclaimer
{
    /// <summary>How long a deleted node's router may stay reachable (its connections time out) before we give up for now.</summary>
    public static readonly TimeSpan ReachableWait = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan ReachableRetry = TimeSpan.FromSeconds(5);

    private readonly PeerRegistry _registry;
    private readonly IPeerRemover _remover;
    private readonly string _self;
    private readonly string _selfNode;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public PeerReclaimer(PeerRegistry registry, IPeerRemover remover, string selfPeer, string selfNode, TimeProvider time, ILogger log)
    {
        _registry = registry;
        _remover = remover;
        _self = selfPeer;
        _selfNode = selfNode;
        _time = time;
        _log = log;
    }

    /// <summary>
    /// Reclaims every peer in the list whose node is not in <paramref name="liveNodes"/> (the
    /// complete current set); returns how many this router reclaimed.
    /// </summary>
    public async Task<int> ReclaimAsync(IReadOnlySet<string> liveNodes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(liveNodes);
        int reclaimed = 0;
        // Until a pass changes nothing: a reclaim can free another (a dead holder's locks).
        for (int pass = 0; pass < 3; pass++)
        {
            PeerList list = _registry.PeersOf(await _registry.GetOrCreateAsync(ct).ConfigureAwait(false));
            PeerEntry[] gone = [.. list.Peers.Where(p => p.PeerName != _self && (!liveNodes.Contains(p.NodeName) || p.NodeName == _selfNode))];
            if (gone.Length == 0)
            {
                break;
            }
            int before = reclaimed;
            foreach (PeerEntry peer in gone)
            {
                if (await ReclaimOneAsync(peer, ct).ConfigureAwait(false))
                {
                    reclaimed++;
                }
            }
            if (reclaimed == before)
            {
                break;
            }
        }
        return reclaimed;
    }

    private async Task<bool> ReclaimOneAsync(PeerEntry peer, CancellationToken ct)
    {
        string lockKey = PeerRegistry.LockKey(peer.PeerName);
        KubeConfigMap? locked = await _registry.UpdateAsync(map =>
        {
            PeerList list = _registry.PeersOf(map);
            if (!list.Contains(peer.PeerName))
            {
                return null; // reclaimed by someone else meanwhile
            }
            if (map.Annotations.TryGetValue(lockKey, out string? holder))
            {
                if (holder == _self)
                {
                    return map; // ours already: we died midway and are finishing
                }
                if (list.Contains(holder))
                {
                    return null; // a live router is on it
                }
                KubeLog.StaleLock(_log, peer.PeerName, holder);
            }
            return map.WithAnnotations(a => a[lockKey] = _self);
        }, ct).ConfigureAwait(false);
        if (locked is null)
        {
            return false;
        }
        KubeLog.Reclaiming(_log, peer.PeerName, peer.NodeName);

        PeerRemoval removal = await RemoveAsync(peer, ct).ConfigureAwait(false);
        if (removal.Outcome != PeerRemovalOutcome.Removed)
        {
            KubeLog.ReclaimPostponed(_log, peer.PeerName, peer.NodeName, removal.Message);
            _ = await _registry.UpdateAsync(map =>
                map.Annotations.TryGetValue(lockKey, out string? holder) && holder == _self
                    ? map.WithAnnotations(a => a.Remove(lockKey))
                    : null, ct).ConfigureAwait(false);
            return false;
        }

        _ = await _registry.UpdateAsync(map =>
        {
            PeerList list = _registry.PeersOf(map);
            return map.WithAnnotations(a =>
            {
                foreach (string key in a.Where(p => p.Key.StartsWith(PeerRegistry.AnnotationPrefix, StringComparison.Ordinal) && p.Value == peer.PeerName)
                    .Select(p => p.Key).ToList())
                {
                    a.Remove(key);
                }
                a.Remove(lockKey);
                a[PeerRegistry.PeersKey] = list.Without(peer.PeerName).ToJson();
            });
        }, ct).ConfigureAwait(false);
        KubeLog.Reclaimed(_log, peer.PeerName, peer.NodeName, removal.Message);
        return true;
    }

    /// <summary>rmpeer, retried while the mesh still reaches the peer (its connections have not timed out yet).</summary>
    private async Task<PeerRemoval> RemoveAsync(PeerEntry peer, CancellationToken ct)
    {
        DateTimeOffset deadline = _time.GetUtcNow() + ReachableWait;
        while (true)
        {
            PeerRemoval removal = await _remover.RemovePeerAsync(peer.PeerName, ct).ConfigureAwait(false);
            if (removal.Outcome != PeerRemovalOutcome.StillReachable || _time.GetUtcNow() >= deadline)
            {
                return removal;
            }
            await Task.Delay(ReachableRetry, _time, ct).ConfigureAwait(false);
        }
    }
}
