using System.Net;
using System.Net.Sockets;
using Weave.Cni.RouterApi;
using Weave.Linux;

namespace Weave.Cni.Pod;

/// <summary>
/// The pod's end of the veth, inside its network namespace. Each method makes one trip into the
/// namespace on a dedicated thread (<see cref="NetNs.Run{T}(string, Func{T})"/>) with a netlink
/// socket opened there.
/// </summary>
public static class ContainerSide
{
    /// <summary>What CHECK compares with the previous result.</summary>
    public sealed record State(LinkInfo? Link, IReadOnlyList<InterfaceAddress> Addresses, IReadOnlyList<RouteInfo> Routes);

    /// <summary>
    /// Gives <paramref name="ifName"/> the MAC <paramref name="mac"/> (while it is still down) and
    /// brings it up with <paramref name="address"/>, a default route via <paramref name="gateway"/>
    /// (after a link-scope /32 route to it when it lies outside the pod's subnet, or the kernel
    /// would refuse the default route), then announces the address with a gratuitous ARP. Returns
    /// <paramref name="mac"/>, which the kernel took (it refuses, with an error, a MAC it cannot set).
    /// </summary>
    public static byte[] Configure(string netns, string ifName, CidrAddress address, IPAddress gateway, byte[] mac)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(mac);
        return NetNs.Run(netns, () =>
        {
            using RouteNetlink rtnl = RouteNetlink.Open();
            CniTrace.Mark("pod netns entered");
            LinkInfo link = rtnl.GetLink(ifName) ?? throw new LinuxError($"{ifName} vanished from {netns}", Tmds.Linux.LibC.ENODEV);
            rtnl.SetMacAddress(link.Index, mac);
            rtnl.SetUp(link.Index);
            rtnl.AddAddress(link.Index, address.Address, address.PrefixLength);
            if (!address.Contains(gateway))
            {
                rtnl.AddRoute(gateway, 32, null, link.Index, RouteScope.Link);
            }
            rtnl.AddRoute(IPAddress.Any, 0, gateway, link.Index, RouteScope.Universe);
            CniTrace.Mark("pod end MAC, up, address, routes");
            GratuitousArp.Send(link.Index, mac, address.Address);
            CniTrace.Mark("gratuitous ARP sent");
            return mac;
        });
    }

    /// <summary>The interface, its addresses and routes; <see cref="State.Link"/> is null when it is missing.</summary>
    public static State Inspect(string netns, string ifName) => NetNs.Run(netns, () =>
    {
        using RouteNetlink rtnl = RouteNetlink.Open();
        LinkInfo? link = rtnl.GetLink(ifName);
        if (link is null)
        {
            return new State(null, [], []);
        }
        return new State(link,
            [.. rtnl.ListAddresses(link.Index).Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)],
            rtnl.ListRoutes(link.Index));
    });
}
