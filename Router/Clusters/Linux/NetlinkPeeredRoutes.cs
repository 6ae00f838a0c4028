using System.Net;
using Weave.Linux;

namespace Weave.Router.Clusters.Linux;

/// <summary>
/// Peered ranges as main-table routes <c>RANGE dev weave scope link proto 87</c> through
/// rtnetlink, a socket per call (they change when clusters join or leave). The protocol number
/// marks them as ours, so a restarted router finds the routes it set before and removes those no
/// longer wanted, and an operator sees them with <c>ip route show proto 87</c>.
/// </summary>
public sealed class NetlinkPeeredRoutes(string bridge) : IPeeredRoutes
{
    /// <summary>rtm_protocol of our routes: above the kernel's own (0–4) and the numbers iproute2 names (rt_protos).</summary>
    public const byte Protocol = 87;

    public string Bridge => bridge;

    public IReadOnlyList<IPNetwork> List()
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        LinkInfo? link = netlink.GetLink(bridge);
        return link is null ? [] : [.. netlink.ListRoutes(link.Index, Protocol).Select(r => new IPNetwork(r.Destination, r.PrefixLength))];
    }

    public void Add(IPNetwork range)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        netlink.AddRoute(range.BaseAddress, range.PrefixLength, gateway: null, Link(netlink).Index, RouteScope.Link, Protocol);
    }

    public bool Remove(IPNetwork range)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        LinkInfo? link = netlink.GetLink(bridge);
        return link is not null && netlink.DeleteRoute(range.BaseAddress, range.PrefixLength, gateway: null, link.Index);
    }

    private LinkInfo Link(RouteNetlink netlink) =>
        netlink.GetLink(bridge) ?? throw new InvalidOperationException($"bridge {bridge} does not exist");
}
