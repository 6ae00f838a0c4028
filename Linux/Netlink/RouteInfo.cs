using System.Net;

namespace Weave.Linux;

/// <summary>A unicast route of the main routing table, as rtnetlink reports it.</summary>
/// <param name="Destination">RTA_DST: the network address; 0.0.0.0 or :: for a default route.</param>
/// <param name="PrefixLength">rtm_dst_len: 0 for a default route.</param>
/// <param name="Gateway">RTA_GATEWAY, or null for a route straight onto the link.</param>
/// <param name="Scope">rtm_scope.</param>
public sealed record RouteInfo(IPAddress Destination, int PrefixLength, IPAddress? Gateway, RouteScope Scope)
{
    public override string ToString() =>
        Gateway is null ? $"{Destination}/{PrefixLength} scope {Scope}" : $"{Destination}/{PrefixLength} via {Gateway} scope {Scope}";
}
