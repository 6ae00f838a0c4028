using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// An ingress rule (peers are its <c>from</c>) or egress rule (its <c>to</c>). A flow matches when
/// a peer and a port both match; no peers means every peer, no ports every port and protocol.
/// </summary>
public sealed record PolicyRule(ImmutableArray<PolicyPeer> Peers, ImmutableArray<PolicyPort> Ports)
{
    public static PolicyRule AllowAll { get; } = new([], []);

    public bool Equals(PolicyRule? other) => other is not null && Structural.Equal(Peers, other.Peers) && Structural.Equal(Ports, other.Ports);

    public override int GetHashCode() => HashCode.Combine(Structural.Hash(Peers), Structural.Hash(Ports));
}
