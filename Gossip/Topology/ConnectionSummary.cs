namespace Weave.Gossip.Topology;

/// <summary>
/// One connection as its owner advertises it in its <see cref="PeerRecord"/>: to whom, at which
/// address (for an outbound connection the address we dialled, so others can dial it too; for an
/// inbound one the remote's source address), and whether it carries data yet.
/// </summary>
public readonly record struct ConnectionSummary(PeerName Remote, string RemoteAddress, bool Outbound, bool Established);
