using Weave.Gossip;

namespace Weave.Simulation;

/// <summary>Node <see cref="Observer"/> raised <c>PeersRemoved</c> for <see cref="Removed"/> at <see cref="At"/>.</summary>
public sealed record PeerRemoval(int Observer, PeerName Removed, ulong Uid, DateTimeOffset At);
