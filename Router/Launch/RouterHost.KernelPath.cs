using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Router.DataPlane;
using Weave.Router.Netfilter;

namespace Weave.Router.Launch;

/// <summary>The start of the kernel fast path (docs/dataplane.md): whether to try it, and the
/// device put in place, or the router's own VXLAN socket back when it cannot be.</summary>
public sealed partial class RouterHost
{
    /// <summary>Whether to try the fast path; says once why not. <paramref name="filter"/> is the data
    /// port's filter when nft is here.</summary>
    private bool WantsKernelPath(ILogger log, out VxlanPortFilter? filter)
    {
        filter = null;
        if (!_options.FastDp)
        {
            RouterLog.FastDpOff(log, "--no-fastdp or WEAVE_NO_FASTDP");
            return false;
        }
        if (_options.Host.AddressFamily != AddressFamily.InterNetwork)
        {
            RouterLog.FastDpOff(log, $"the kernel path runs over IPv4, and --host is {_options.Host}");
            return false;
        }
        if (NftCommand.TryFind(out NftCommand? nft))
        {
            filter = new VxlanPortFilter(nft!, _options.DataPort);
        }
        if (_options.Password is not null)
        {
            if (_options.TrustedSubnets.Count == 0)
            {
                RouterLog.FastDpOff(log, "with a password only the router can seal the data; peers in --trusted-subnets may take the kernel path");
                return false;
            }
            if (filter is null)
            {
                RouterLog.FastDpOff(log, "with a password the kernel path needs nft, to admit VXLAN only from trusted peers");
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Puts the device in place, opens the probes' packet sockets and gives the device the data port
    /// (the filter first, so that no moment admits strangers); on any refusal, says so once, removes
    /// the device and takes the data port back for the router's own VXLAN. Null then.
    /// </summary>
    /// <exception cref="LaunchException">The data port, freed for the device, could not be claimed back.</exception>
    private KernelPathStart? StartKernelPath(BridgeSetup bridge, DataPortSocket dataPort, VxlanPortFilter? filter, ILogger log)
    {
        KernelPathSetup? device = null;
        PacketSocket? probesOut = null;
        PacketSocket? probesIn = null;
        try
        {
            IPAddress? local = _options.Host.Equals(IPAddress.Any) ? null : _options.Host;
            device = KernelPathSetup.Create(bridge.BridgeIndex, _options.Bridge, bridge.Tap.InterfaceIndex, _options.DataPort, _options.Vni, local);
            probesOut = PacketSocket.Open(device.VxlanIndex, ProbeFrame.EtherType);
            probesIn = PacketSocket.Open(bridge.BridgeIndex, ProbeFrame.EtherType);
            InstallFilter(filter, device.RemoteHosts(), log);
            if (dataPort.Socket.LocalEndPoint.Port == _options.DataPort)
            {
                dataPort.Replace(DataPortSocket.OpenIdle());
            }
            device.Up();
            RouterLog.FastDpOn(log, device.Name, _options.DataPort, _options.Vni);
            return new KernelPathStart(device, probesOut, probesIn);
        }
        catch (Exception e) when (e is LinuxError or LaunchException or NftablesException or SocketException)
        {
            RouterLog.FastDpUnavailable(log, e.Message);
            probesOut?.Dispose();
            probesIn?.Dispose();
            RemoveFilter(filter);
            if (device is not null)
            {
                device.Remove();
            }
            else
            {
                KernelPathSetup.RemoveDevice(_options.DataPort); // one of an earlier run we could not take over
            }
            if (dataPort.Socket.LocalEndPoint.Port != _options.DataPort)
            {
                dataPort.Replace(Claim("UDP", _options.DataPort, () => UdpBatchSocket.OpenForOverlay(new IPEndPoint(_options.Host, _options.DataPort))));
            }
            return null;
        }
    }

    /// <summary>
    /// Without the fast path: removes the device and the filter an earlier run left, which would
    /// hold the data port or drop its datagrams; says so when there was a device.
    /// </summary>
    /// <exception cref="LaunchException">A link of the device's name is something else.</exception>
    private void RemoveKernelPathLeftovers(ILogger log)
    {
        if (KernelPathSetup.RemoveDevice(_options.DataPort))
        {
            RouterLog.FastDpOff(log, $"removed {KernelPathSetup.DeviceName(_options.DataPort)} of an earlier run");
        }
        if (NftCommand.TryFind(out NftCommand? nft))
        {
            RemoveFilter(new VxlanPortFilter(nft!, _options.DataPort));
        }
    }

    private static void RemoveFilter(VxlanPortFilter? filter)
    {
        if (filter is null)
        {
            return;
        }
        try
        {
            filter.RemoveTable();
        }
        catch (NftablesException)
        {
            // Nothing to remove, or nft cannot run: then it cannot have filtered either.
        }
    }

    /// <summary>The filter in place; without nft, or when it refuses and no password asks for it, the kernel path goes on unfiltered, said once.</summary>
    private void InstallFilter(VxlanPortFilter? filter, IReadOnlyCollection<IPAddress> peers, ILogger log)
    {
        if (filter is null)
        {
            RouterLog.FastDpUnfiltered(log, "nft is not installed");
            return;
        }
        try
        {
            filter.Install(peers);
        }
        catch (NftablesException e) when (_options.Password is null)
        {
            RouterLog.FastDpUnfiltered(log, e.Message);
        }
    }
}
