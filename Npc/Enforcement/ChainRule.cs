using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>
/// One rule of a pod's chain: it lets a new flow through when the peer (the destination for
/// egress, the source for ingress) is in <see cref="Peers"/> and its protocol and port in
/// <see cref="Ports"/>, a null set matching everything; or, for an egress rule's named ports,
/// when (destination, protocol, port) is in <see cref="Endpoints"/>. <see cref="Family"/> is the
/// family of its address set, null when it has none (so it matches both). <see cref="Origin"/>
/// names the policy rule it came from, for the rule's comment.
/// </summary>
public sealed record ChainRule(AddressFamily? Family, AddressSet? Peers, PortSet? Ports, EndpointSet? Endpoints, string Origin)
{
    public bool Matches(IPAddress peer, IPAddress destination, PortProtocol protocol, int port)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (Endpoints is not null)
        {
            return Endpoints.Contains(destination, protocol, port);
        }
        return (Family is null || Family == peer.AddressFamily)
            && (Peers is null || Peers.Contains(peer))
            && (Ports is null || Ports.Contains(protocol, port));
    }

    /// <summary>The same match, whatever policy rule it came from: a chain keeps one rule per match.</summary>
    internal (AddressFamily?, string?, string?, string?) MatchKey => (Family, Peers?.Name, Ports?.Name, Endpoints?.Name);
}
