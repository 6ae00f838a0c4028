namespace Weave.Router.DataPlane;

/// <summary>A neighbour our flood goes to, and how: a sleeve copy naming it when it must pass
/// copies on or our data to it is sealed, else VXLAN (a leaf of our broadcast tree).</summary>
public readonly record struct FloodHop(DataPeer Peer, Encapsulation Encapsulation);
