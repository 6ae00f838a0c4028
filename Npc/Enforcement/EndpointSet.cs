using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>
/// A named set of (address . protocol . port) of one family: an egress rule's named ports,
/// resolved against each destination pod the rule's peers allow. Named after its content.
/// </summary>
public sealed record EndpointSet(string Name, AddressFamily Family, ImmutableArray<PortEndpoint> Endpoints)
{
    public string NftType => (Family == AddressFamily.InterNetwork ? "ipv4_addr" : "ipv6_addr") + " . inet_proto . inet_service";

    public bool Contains(IPAddress address, PortProtocol protocol, int port) => Endpoints.Contains(new PortEndpoint(address, protocol, port));

    internal static EndpointSet Of(AddressFamily family, IEnumerable<PortEndpoint> endpoints)
    {
        ImmutableArray<PortEndpoint> sorted = [.. endpoints.Distinct()
            .OrderBy(e => AddressInterval.ToNumber(e.Address)).ThenBy(e => e.Protocol).ThenBy(e => e.Port)];
        string prefix = family == AddressFamily.InterNetwork ? "e4-" : "e6-";
        return new EndpointSet(EnforcementNames.ByContent(prefix, sorted), family, sorted);
    }
}
