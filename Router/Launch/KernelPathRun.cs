using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Router.DataPlane.Kernel;
using Weave.Router.Netfilter;

namespace Weave.Router.Launch;

/// <summary>The fast path as it starts: its device, and the packet sockets that send our probes
/// into it and read peers' probes on the bridge (the router's to dispose).</summary>
public sealed record KernelPathStart(KernelPathSetup Device, PacketSocket ProbesOut, PacketSocket ProbesIn) : IDisposable
{
    public void Dispose()
    {
        ProbesOut.Dispose();
        ProbesIn.Dispose();
    }
}

/// <summary>What the fast path runs on while the router does: the netlink socket its entries are
/// kept through, the data port's filter, and the <see cref="KernelPath"/> thread. Disposed before
/// the forwarder and the probe sockets; the device, its entries and the filter stay (a restart
/// takes them over, <c>weave reset</c> removes them).</summary>
public sealed class KernelPathRun : IDisposable
{
    private readonly RouteNetlink _netlink;
    private readonly KernelPath _path;

    private KernelPathRun(RouteNetlink netlink, KernelPath path)
    {
        _netlink = netlink;
        _path = path;
    }

    public KernelPath Path => _path;

    /// <exception cref="LinuxError">No netlink socket.</exception>
    public static KernelPathRun Start(KernelPathStart start, BridgeSetup bridge, Forwarder forwarder, VxlanPortFilter? filter,
        TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentNullException.ThrowIfNull(forwarder);
        RouteNetlink netlink = RouteNetlink.Open();
        var keeper = new KernelFdbKeeper(netlink, start.Device.VxlanIndex, bridge.BridgeIndex, bridge.Tap.InterfaceIndex,
            forwarder.Ticks(KernelPath.Grace));
        Action<IReadOnlyCollection<IPAddress>>? admit = filter is null ? null : peers => filter.SetPeers(peers);
        var path = new KernelPath(forwarder, start.ProbesIn, keeper, admit, time, log);
        path.Start();
        return new KernelPathRun(netlink, path);
    }

    /// <summary>Stops the thread (its receives wait 100 ms at most), then closes the netlink socket.</summary>
    public void Dispose()
    {
        _path.Dispose();
        _netlink.Dispose();
    }
}
