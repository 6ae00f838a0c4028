using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;

namespace Weave.Router.Launch;

/// <summary>
/// Puts the bridge and the router's TAP device in place through netlink (never ip(8)): the bridge
/// is created if absent and kept on shutdown (pods hang on it); the TAP is ours alone and goes
/// away with the process.
/// </summary>
/// <remarks>
/// The bridge gets the overlay MTU, set explicitly even on a bridge that exists, which also tells
/// the kernel not to lower it to its smallest port's MTU. Pods' veths copy it. The TAP gets
/// <see cref="OverlayMtu.Max"/> instead: the bridge drops a frame larger than the MTU of the port
/// it leaves by, so with a TAP at the overlay MTU a too-big frame from a pod whose veth has a
/// larger MTU would vanish without an ICMP answer; this way the router sees it and answers
/// (TooBigCheck.cs), as Weave's sleeve did with its 65535-byte capture device.
/// </remarks>
public sealed class BridgeSetup : IDisposable
{
    private BridgeSetup(TapDevice tap, bool createdBridge, int bridgeIndex)
    {
        Tap = tap;
        CreatedBridge = createdBridge;
        BridgeIndex = bridgeIndex;
    }

    public TapDevice Tap { get; }

    /// <summary>True when this run created the bridge (and must remove it if the start fails).</summary>
    public bool CreatedBridge { get; }

    public int BridgeIndex { get; }

    /// <param name="peer">The router's peer name, from which the bridge's own MAC is derived.</param>
    public static BridgeSetup Create(string bridge, string tapName, int mtu, PeerName peer)
    {
        using RouteNetlink netlink = RouteNetlink.Open();
        bool created = false;
        LinkInfo? link = netlink.GetLink(bridge);
        if (link is null)
        {
            netlink.CreateBridge(bridge);
            created = true;
            link = netlink.GetLink(bridge) ?? throw new LaunchException($"bridge {bridge} vanished right after it was created");
        }
        else if (link.Kind != "bridge")
        {
            throw new LaunchException($"a link named {bridge} exists but is a {link.Kind ?? "device of unknown kind"}, not a bridge; remove it first");
        }
        TapDevice? tap = null;
        try
        {
            netlink.SetMtu(link.Index, mtu);
            netlink.SetMacAddress(link.Index, BridgeMac(peer));
            netlink.SetUp(link.Index);
            tap = CreateTap(tapName);
            netlink.SetMtu(tap.InterfaceIndex, OverlayMtu.Max);
            netlink.SetMaster(tap.InterfaceIndex, link.Index);
            netlink.SetUp(tap.InterfaceIndex);
            return new BridgeSetup(tap, created, link.Index);
        }
        catch
        {
            tap?.Dispose();
            if (created)
            {
                netlink.DeleteLink(link.Index);
            }
            throw;
        }
    }

    /// <summary>
    /// A MAC of the bridge's own. A bridge whose MAC was never set takes its lowest port's, which
    /// changes as pods' veths come and go; pods that cached the gateway's old MAC then send to one
    /// the bridge no longer owns, and their traffic out of the node is bridged instead of routed
    /// until the entry expires (the NetworkPolicy conformance suite saw it after a pod was
    /// recreated). A set MAC stays. Derived from the peer name, so it is stable across restarts and
    /// differs between nodes (<see cref="DataPlane.BridgeMac"/>).
    /// </summary>
    internal static byte[] BridgeMac(PeerName peer) => DataPlane.BridgeMac.Bytes(peer);

    /// <summary>The TAP with a virtio-net header and TCP offloads (super-frames both ways, the data
    /// plane's fast path), or a plain one should this kernel refuse the offloads.</summary>
    private static TapDevice CreateTap(string name)
    {
        try
        {
            return TapDevice.CreateWithVirtioNetHeader(name, TapOffloads.Tcp);
        }
        catch (LinuxError)
        {
            return TapDevice.Create(name);
        }
    }

    /// <summary>Removes the bridge if this run created it: used when the start fails later on.</summary>
    public void RemoveCreatedBridge()
    {
        if (!CreatedBridge)
        {
            return;
        }
        using RouteNetlink netlink = RouteNetlink.Open();
        try
        {
            netlink.DeleteLink(BridgeIndex);
        }
        catch (LinuxError)
        {
            // Already gone.
        }
    }

    public void Dispose() => Tap.Dispose();
}
