namespace Weave.Kube;

/// <summary>Who this router is in the cluster.</summary>
public sealed record KubeAddOnOptions
{
    /// <summary>This router's Node (the DaemonSet passes <c>spec.nodeName</c> as <c>HOSTNAME</c>).</summary>
    public required string NodeName { get; init; }

    /// <summary>This router's peer name, as the peer list records it.</summary>
    public required string PeerName { get; init; }

    /// <summary>Where the ConfigMap <c>weave-net</c> lives: the router's own namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>KUBE_PEERS</c> was given: the peers to dial are fixed, not taken from the Nodes.</summary>
    public bool StaticPeers { get; init; }
}
