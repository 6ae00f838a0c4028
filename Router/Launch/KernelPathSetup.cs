using System.Net;
using Weave.Linux;
using Weave.Router.DataPlane;

namespace Weave.Router.Launch;

/// <summary>
/// Puts the kernel fast path's device in place (docs/dataplane.md, "The kernel path"): a VXLAN
/// device <c>vxlan-PORT</c> on our data port with our VNI, its source port pinned to the data port
/// (our userspace peers take VXLAN only from there), learning off, as a port of the bridge that
/// floods nothing to it and learns nothing from it, isolated from the TAP (the only other isolated
/// port), so that a frame reaches a peer by the kernel or by the router, never both. IPv6 is off on
/// the device and on the bridge's host side where we may turn it off: frames those two send
/// themselves (router solicitations) ignore the port's flood flags and would go to every flood
/// remote of the device; we add none, so this is a second guard, not the only one. The device's MTU
/// is the largest, as the TAP's is (BridgeSetup): the bridge drops a frame larger than the port it
/// leaves by without a word, while the VXLAN device answers a pod's too-big packet with "fragmentation
/// needed" for the underlay's path MTU (or, without DF, lets the underlay fragment it), as the
/// router does for the frames it carries. The device is kept when
/// the router stops, so pods' traffic between nodes flows through a restart; <c>weave reset</c>
/// removes it.
/// </summary>
public sealed class KernelPathSetup
{
    private KernelPathSetup(int index, string name, bool created)
    {
        VxlanIndex = index;
        Name = name;
        Created = created;
    }

    public int VxlanIndex { get; }

    public string Name { get; }

    /// <summary>This run created the device (rather than finding it from an earlier run).</summary>
    public bool Created { get; }

    /// <summary>Weave's name for the fast path's VXLAN port (its vport was <c>vxlan-6784</c>).</summary>
    public static string DeviceName(int dataPort) => DevicePrefix + dataPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the device's name starts with, the data port following (<c>weave reset</c> looks for it).</summary>
    public const string DevicePrefix = "vxlan-";

    /// <summary>Whether a device of ours from an earlier run holds the data port now (so the router
    /// cannot claim the port, and need not).</summary>
    public static bool DeviceUp(int dataPort)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        return netlink.GetLink(DeviceName(dataPort)) is { Kind: "vxlan", IsUp: true };
    }

    /// <summary>Removes the device of an earlier run, if any (the router now runs without the fast
    /// path and needs the port); true when there was one.</summary>
    /// <exception cref="LaunchException">A link of that name is no VXLAN device of ours.</exception>
    public static bool RemoveDevice(int dataPort)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        if (netlink.GetLink(DeviceName(dataPort)) is not { } link)
        {
            return false;
        }
        if (link.Kind != "vxlan")
        {
            throw new LaunchException($"a link named {link.Name} exists but is a {link.Kind ?? "device of unknown kind"}, not our VXLAN device; remove it first");
        }
        netlink.DeleteLink(link.Index);
        return true;
    }

    /// <summary>
    /// Creates the device (or takes the one an earlier run left, with its entries), makes it a port
    /// of <paramref name="bridgeIndex"/> and sets the ports' flags; the device stays down until
    /// <see cref="Up"/>, since the router may still hold the data port.
    /// </summary>
    /// <param name="local">The underlay address to send from; null lets the kernel route choose.</param>
    /// <exception cref="LinuxError">The kernel refused: no VXLAN (EOPNOTSUPP), or a port flag it
    /// lacks (before Linux 4.18 no isolated ports). Whatever this run created is removed.</exception>
    /// <exception cref="LaunchException">A link of that name is not a VXLAN device.</exception>
    public static KernelPathSetup Create(int bridgeIndex, string bridge, int tapIndex, int dataPort, int vni, IPAddress? local)
    {
        string name = DeviceName(dataPort);
        using RouteNetlink netlink = RouteNetlink.Open();
        LinkInfo? link = netlink.GetLink(name);
        bool created = false;
        if (link is null)
        {
            netlink.CreateVxlan(name, new VxlanSettings(vni, dataPort, local), OverlayMtu.Max);
            created = true;
            link = netlink.GetLink(name) ?? throw new LaunchException($"VXLAN device {name} vanished right after it was created");
        }
        else if (link.Kind != "vxlan")
        {
            throw new LaunchException($"a link named {name} exists but is a {link.Kind ?? "device of unknown kind"}, not our VXLAN device; remove it first");
        }
        try
        {
            netlink.SetMtu(link.Index, OverlayMtu.Max);
            if (link.MasterIndex != bridgeIndex)
            {
                netlink.SetMaster(link.Index, bridgeIndex);
            }
            netlink.SetBridgePort(link.Index, new BridgePortSettings(Hairpin: false, Learning: false, UnicastFlood: false,
                MulticastFlood: false, BroadcastFlood: false, Isolated: true));
            netlink.SetBridgePort(tapIndex, new BridgePortSettings(Isolated: true));
            DisableIpv6(name);
            DisableIpv6(bridge);
            return new KernelPathSetup(link.Index, name, created);
        }
        catch
        {
            if (created)
            {
                netlink.DeleteLink(link.Index);
            }
            throw;
        }
    }

    /// <summary>The IPv4 hosts the device's entries send to (an earlier run's, when it was taken over).</summary>
    public IReadOnlyCollection<IPAddress> RemoteHosts()
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        return [.. netlink.ListFdb()
            .Where(e => e.Index == VxlanIndex && !e.InBridge && e.Destination is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork })
            .Select(e => e.Destination!)
            .Distinct()];
    }

    /// <summary>Sets the device up: from here the kernel holds the data port.</summary>
    /// <exception cref="LinuxError">EADDRINUSE: something else holds the port.</exception>
    public void Up()
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        netlink.SetUp(VxlanIndex);
    }

    /// <summary>Removes the device: the fast path could not start after all.</summary>
    public void Remove()
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        try
        {
            netlink.DeleteLink(VxlanIndex);
        }
        catch (LinuxError)
        {
            // Already gone.
        }
    }

    /// <summary>Turns IPv6 off on a link (its sysctl, of our network namespace) where the kernel has
    /// IPv6 and lets us (a container may see /proc/sys read-only).</summary>
    private static void DisableIpv6(string link)
    {
        string path = $"/proc/sys/net/ipv6/conf/{link}/disable_ipv6";
        try
        {
            if (File.Exists(path))
            {
                File.WriteAllText(path, "1");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The second guard only (see the class): the device has no flood remotes to leak to.
        }
    }
}
