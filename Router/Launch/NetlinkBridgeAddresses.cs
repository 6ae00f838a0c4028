using System.Net;
using System.Net.Sockets;
using Weave.Linux;
using Weave.Router.Api;

namespace Weave.Router.Launch;

/// <summary>The bridge's addresses through rtnetlink, a socket per call (expose and hide are rare).</summary>
public sealed class NetlinkBridgeAddresses(string bridge) : IBridgeAddresses
{
    public string Name => bridge;

    public void Add(IPAddress address, int prefixLength)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        netlink.AddAddress(Bridge(netlink).Index, address, prefixLength);
    }

    public bool Remove(IPAddress address)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        LinkInfo? link = netlink.GetLink(bridge);
        if (link is null)
        {
            return false;
        }
        bool removed = false;
        // The kernel deletes an IPv4 address only when given its prefix length too.
        foreach (InterfaceAddress a in netlink.ListAddresses(link.Index).Where(a => a.Address.Equals(address)))
        {
            removed |= netlink.DeleteAddress(link.Index, a.Address, a.PrefixLength);
        }
        return removed;
    }

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> List()
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        LinkInfo? link = netlink.GetLink(bridge);
        return link is null
            ? []
            : [.. netlink.ListAddresses(link.Index).Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork).Select(a => (a.Address, a.PrefixLength))];
    }

    private LinkInfo Bridge(RouteNetlink netlink) =>
        netlink.GetLink(bridge) ?? throw new InvalidOperationException($"bridge {bridge} does not exist");
}
