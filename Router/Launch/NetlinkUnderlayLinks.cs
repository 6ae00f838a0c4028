using System.Net;
using System.Net.Sockets;
using Weave.Linux;

namespace Weave.Router.Launch;

/// <summary><see cref="IUnderlayLinks"/> asked of the kernel over rtnetlink, in the router's namespace.</summary>
public sealed class NetlinkUnderlayLinks : IUnderlayLinks, IDisposable
{
    private readonly RouteNetlink _netlink = RouteNetlink.Open();

    public UnderlayLink? RouteTo(IPAddress destination) => Link(() => _netlink.GetRouteOutputIndex(destination));

    public UnderlayLink? Holding(IPAddress address) => Link(() => _netlink.FindLinkWithAddress(address));

    public UnderlayLink? DefaultRoute(AddressFamily family) => Link(() => _netlink.GetDefaultRouteOutputIndex(family));

    public void Dispose() => _netlink.Dispose();

    /// <summary>The link at the index a lookup found; a kernel error counts as no answer, so the
    /// caller moves on to its next way of finding the underlay.</summary>
    private UnderlayLink? Link(Func<int?> lookup)
    {
        try
        {
            return lookup() is int index && _netlink.GetLink(index) is { } link ? new UnderlayLink(link.Name, link.Mtu) : null;
        }
        catch (LinuxError)
        {
            return null;
        }
    }
}
