namespace Weave.Router.DataPlane;

/// <summary>The neighbour that takes a peer's frames, and how they are wrapped for it: VXLAN when
/// the neighbour is that peer and our data to it is in clear, else the sleeve (sealed when it seals).</summary>
public readonly record struct PeerRoute(DataPeer Hop, Encapsulation Encapsulation);
