namespace Weave.Router.DataPlane;

/// <summary>A neighbour our flood goes to; <paramref name="Relays"/> when it gets a sleeve copy naming it: it must pass copies on, or our data to it is sealed.</summary>
public readonly record struct FloodHop(DataPeer Peer, bool Relays);
