namespace Weave.Router.Api;

/// <summary>What the HTTP API asks of the mesh: its status, and changes to its targets.</summary>
public interface IMeshControl
{
    Task<Weave.Gossip.Mesh.MeshStatus> StatusAsync(CancellationToken ct);

    /// <summary>Our cluster and the others the topology shows, for status and metrics.</summary>
    Task<Weave.Router.Clusters.ClusterView> ClustersAsync(CancellationToken ct);

    /// <summary>Adds the peers to the targets (or makes them the only ones with <paramref name="replace"/>) and dials them.</summary>
    /// <exception cref="InvalidOperationException">The mesh cannot take the change now (e.g. shutting down); the API answers 503 with the message.</exception>
    Task ConnectAsync(IReadOnlyList<Weave.Gossip.PeerAddress> peers, bool replace, CancellationToken ct);

    /// <summary>Removes the peers from the targets; existing connections stay until they break.</summary>
    /// <exception cref="InvalidOperationException">The mesh cannot take the change now; the API answers 503 with the message.</exception>
    Task ForgetAsync(IReadOnlyList<Weave.Gossip.PeerAddress> peers, CancellationToken ct);
}
