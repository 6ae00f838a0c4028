using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;

namespace Weave.Ipam.Wire;

/// <summary>A decoded message of the <c>ipam</c> gossip channel (see <see cref="IpamWire"/>).</summary>
internal abstract record IpamMessage;

/// <summary>Our ring and the nicknames of peers we know (the nicknames help rmpeer and status after a peer is gone).</summary>
internal sealed record RingMessage(Ring Ring, IReadOnlyDictionary<PeerName, string> Nicknames) : IpamMessage;

/// <summary>The consensus state while the range is not seeded yet.</summary>
internal sealed record PaxosMessage(Cidr Range, IReadOnlyDictionary<PeerName, NodeClaims> Claims) : IpamMessage;

/// <summary>
/// A request for space: some free run in <see cref="Subnet"/> (when <see cref="ExactAddress"/> is
/// false), or exactly <see cref="Subnet"/>'s one address (a claim; the subnet is a /32).
/// </summary>
internal sealed record SpaceRequestMessage(ulong RequestId, bool ExactAddress, Cidr Subnet) : IpamMessage;

/// <summary>The donor's ring after it gave the requester space.</summary>
internal sealed record SpaceGrantMessage(ulong RequestId, Ring Ring) : IpamMessage;

internal sealed record SpaceDeniedMessage(ulong RequestId, string Reason) : IpamMessage;
