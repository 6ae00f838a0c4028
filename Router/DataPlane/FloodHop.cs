namespace Weave.Router.DataPlane;

/// <summary>A neighbour our flood goes to; <paramref name="Relays"/> when it must pass copies on (sleeve).</summary>
public readonly record struct FloodHop(DataPeer Peer, bool Relays);
