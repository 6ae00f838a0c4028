using System.Net;
using System.Net.Sockets;

namespace Weave.Router.Launch;

/// <summary>A link of the host: its name and MTU.</summary>
public sealed record UnderlayLink(string Name, int Mtu);

/// <summary>
/// Which links carry the underlay: the seam where the router asks the kernel (netlink in
/// <see cref="NetlinkUnderlayLinks"/>) and tests answer for it. Each answer is null when the kernel
/// has none or the question fails.
/// </summary>
public interface IUnderlayLinks
{
    /// <summary>The link of the route the kernel would take to <paramref name="destination"/>.</summary>
    UnderlayLink? RouteTo(IPAddress destination);

    /// <summary>The link that holds the local address <paramref name="address"/>.</summary>
    UnderlayLink? Holding(IPAddress address);

    /// <summary>The link of the default route of <paramref name="family"/>.</summary>
    UnderlayLink? DefaultRoute(AddressFamily family);
}
