using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>A chain's disjoint (peer . protocol . port) boxes of one family, named by content.</summary>
public sealed record FoldedSet(string Name, AddressFamily Family, ImmutableArray<FoldedBox> Boxes)
{
    public string NftType => (Family == AddressFamily.InterNetwork ? "ipv4_addr" : "ipv6_addr") + " . inet_proto . inet_service";

    public bool Contains(IPAddress address, PortProtocol protocol, int port) =>
        Boxes.Any(b => b.Protocol == protocol && port >= b.FirstPort && port <= b.LastPort && b.Addresses.Contains(address));

    internal static FoldedSet Of(AddressFamily family, IEnumerable<FoldedBox> boxes)
    {
        ImmutableArray<FoldedBox> sorted = [.. boxes.OrderBy(b => b.Protocol).ThenBy(b => b.FirstPort).ThenBy(b => b.Addresses.First)];
        return new FoldedSet(EnforcementNames.ByContent(family == AddressFamily.InterNetwork ? "f4-" : "f6-", sorted), family, sorted);
    }
}
