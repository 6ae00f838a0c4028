using Weave.Router.Clusters;

namespace Weave.Router.Mesh;

/// <summary>
/// The clusters of the mesh as our topology shows them (<see cref="ClusterView"/>): asked for by
/// status and metrics, and announced whenever the data routes change, which is when another
/// cluster's routers become reachable or are lost.
/// </summary>
public sealed partial class MeshHost
{
    /// <summary>On the mesh loop, after the data routes changed or peers were removed: the clusters now.</summary>
    public event Action<ClusterView>? ClustersChanged;

    public Task<ClusterView> ClustersAsync(CancellationToken ct) => Ask(Clusters, ct);

    private ClusterView Clusters() =>
        ClusterView.Of(_node.Self, _node.Topology.Records, peer => _node.DataRoutes.TryGetNextHop(peer, out _), _peerClusters);

    private void AnnounceClusters()
    {
        if (ClustersChanged is { } changed)
        {
            changed(Clusters());
        }
    }
}
