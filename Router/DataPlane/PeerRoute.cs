namespace Weave.Router.DataPlane;

/// <summary>The neighbour that takes a peer's frames; <paramref name="Direct"/> when it is that peer and takes VXLAN (not when our data to it is sealed: then sleeve).</summary>
public readonly record struct PeerRoute(DataPeer Hop, bool Direct);
