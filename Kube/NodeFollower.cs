using System.Net;
using System.Threading.Channels;
using Weave.Kube.Api;
using Weave.Kube.Peers;

namespace Weave.Kube;

/// <summary>
/// Follows the cluster's Nodes (list, then watch from the list's version; list again when the
/// watch ends or its version is too old) and keeps the router's targets equal to the other nodes'
/// addresses: added as nodes appear, forgotten as they go. Targets an operator added by hand
/// (<c>weave connect</c>) are never touched. Deletions, and every fresh list, ask the reclaim loop
/// to look at the peer list.
/// </summary>
internal sealed class NodeFollower
{
    private readonly KubeAddOn _addOn;
    private readonly IMeshTargets _mesh;
    private readonly Func<IPAddress, bool> _isLocal;
    private readonly Dictionary<string, KubeNode> _nodes = new(StringComparer.Ordinal);
    private readonly HashSet<IPAddress> _targets;
    private readonly Channel<bool> _reclaimRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    /// <summary>The names of the nodes as of the last complete list and the events since; null until the first list.</summary>
    private volatile HashSet<string>? _live;

    public NodeFollower(KubeAddOn addOn, IMeshTargets mesh, IReadOnlyList<IPAddress> targets, Func<IPAddress, bool> isLocal)
    {
        _addOn = addOn;
        _mesh = mesh;
        _isLocal = isLocal;
        _targets = [.. targets];
    }

    public IReadOnlySet<string>? LiveNodes => _live;

    /// <summary>Signals (at most one pending) that the peer list should be checked against the nodes.</summary>
    public ChannelReader<bool> ReclaimRequests => _reclaimRequests.Reader;

    public ChannelWriter<bool> ReclaimRequestsWriter => _reclaimRequests.Writer;

    public async Task RunAsync(CancellationToken ct)
    {
        var retry = new ApiRetry(_addOn.Log, _addOn.Time);
        while (true)
        {
            try
            {
                KubeNodeList list = await _addOn.Api.ListNodesAsync(ct).ConfigureAwait(false);
                _nodes.Clear();
                foreach (KubeNode node in list.Items)
                {
                    _nodes[node.Name] = node;
                }
                await NodesChangedAsync(ct).ConfigureAwait(false);
                retry.Succeeded();
                string version = list.Metadata.ResourceVersion ?? "0";
                while (true)
                {
                    // Each watch ends after a few minutes; continue from the last version seen. A
                    // watch that ends at once (a proxy in the way, a server restarting) is not
                    // repeated at once: the API server is not to be hammered.
                    long started = _addOn.Time.GetTimestamp();
                    version = await WatchAsync(version, ct).ConfigureAwait(false);
                    if (_addOn.Time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), _addOn.Time, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Gone)
            {
                // Too old to continue from: list again at once.
            }
            catch (KubeApiException e)
            {
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> WatchAsync(string version, CancellationToken ct)
    {
        await foreach (NodeEvent e in _addOn.Api.WatchNodesAsync(version, ct).ConfigureAwait(false))
        {
            version = e.Node.Metadata.ResourceVersion ?? version;
            if (e.Kind == NodeEventKind.Deleted)
            {
                if (_nodes.Remove(e.Node.Name))
                {
                    KubeLog.NodeDeleted(_addOn.Log, e.Node.Name);
                }
            }
            else
            {
                _nodes[e.Node.Name] = e.Node;
            }
            await NodesChangedAsync(ct).ConfigureAwait(false);
        }
        return version;
    }

    private async Task NodesChangedAsync(CancellationToken ct)
    {
        HashSet<string>? before = _live;
        _live = new HashSet<string>(_nodes.Keys, StringComparer.Ordinal);
        if (!_addOn.Options.StaticPeers)
        {
            await UpdateTargetsAsync(ct).ConfigureAwait(false);
        }
        if (before is null || before.Any(n => !_live.Contains(n)))
        {
            _ = _reclaimRequests.Writer.TryWrite(true);
        }
    }

    private async Task UpdateTargetsAsync(CancellationToken ct)
    {
        IReadOnlyList<IPAddress> wanted = NodePeers.Targets(_nodes.Values, _addOn.Options.NodeName, _isLocal);
        IPAddress[] added = [.. wanted.Where(a => !_targets.Contains(a))];
        IPAddress[] removed = [.. _targets.Where(a => !wanted.Contains(a))];
        if (added.Length == 0 && removed.Length == 0)
        {
            return;
        }
        if (added.Length > 0)
        {
            await _mesh.AddTargetsAsync(added, ct).ConfigureAwait(false);
        }
        if (removed.Length > 0)
        {
            await _mesh.RemoveTargetsAsync(removed, ct).ConfigureAwait(false);
        }
        _targets.Clear();
        _targets.UnionWith(wanted);
        KubeLog.TargetsChanged(_addOn.Log, added.Length, removed.Length, string.Join(' ', wanted));
    }
}
