using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Weave.Cni.Pod;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Weave.Linux;

namespace Weave.Cni.Commands;

/// <summary>
/// ADD: an address from the router, a veth pair whose pod end is born in the pod's namespace as
/// CNI_IFNAME, the host end on the bridge <c>weave</c> with hairpin on, the address and a default
/// route via the bridge's address in the pod, a gratuitous ARP. Every step that creates something
/// registers its undo first; any failure runs them in reverse, the allocation's release last, so a
/// failed ADD leaves neither a link nor an address behind.
/// </summary>
public sealed class AddCommand(CniEnvironment env, NetworkConfig config, IRouterIpam ipam, CniLog log)
{
    public const string BridgeName = "weave";

    private readonly Stack<(string What, Action Undo)> _undo = new();

    public CniResult Run()
    {
        try
        {
            return Build();
        }
        catch (Exception e)
        {
            // Whatever failed, nothing this ADD made may stay: undo first, then report.
            string undone = UndoAll();
            CniException failure = e as CniException
                ?? new CniException(e is LinuxError ? CniErrorCode.LinkFailure : CniErrorCode.IoFailure, e.Message);
            throw new CniException(failure.Code, failure.Message, undone.Length == 0 ? failure.Details : "undo: " + undone);
        }
    }

    private CniResult Build()
    {
        using RouteNetlink host = RouteNetlink.Open();
        LinkInfo bridge = host.GetLink(BridgeName) ?? throw new CniException(CniErrorCode.TryAgainLater,
            $"there is no bridge '{BridgeName}' on this host: is the weave router running?");
        int mtu = config.Mtu ?? bridge.Mtu;
        using SafeHandle netns = OpenNetns(env.Netns);
        string hostName = HostVethName.For(env.ContainerId, env.IfName);
        CniTrace.Mark("bridge found, netns opened");

        byte[] podMac = PodMac.For(env.ContainerId, env.IfName);
        CidrAddress address = ipam.Allocate(env.ContainerId, Metadata(podMac));
        _undo.Push(($"release {address}", () => ipam.Release(env.ContainerId)));
        log.Info($"allocated {address}");

        IPAddress gateway = BridgeGateway(host, bridge, address);
        RemoveStale(host, hostName);
        CniTrace.Mark("gateway read, no stale veth");
        Step($"create veth {hostName} with {env.IfName} in {env.Netns}", () => host.CreateVethPair(hostName, env.IfName, mtu, netns));
        _undo.Push(($"delete {hostName}", () => DeleteIfPresent(host, hostName)));
        LinkInfo hostEnd = host.GetLink(hostName) ?? throw new CniException(CniErrorCode.LinkFailure, $"{hostName} vanished right after it was created");
        CniTrace.Mark("veth created");

        Step($"attach {hostName} to {BridgeName}", () => host.SetMaster(hostEnd.Index, bridge.Index));
        if (config.HairpinMode ?? true)
        {
            Step($"set hairpin on {hostName}", () => host.SetBridgePortHairpin(hostEnd.Index, true));
        }
        Step($"set {hostName} up", () => host.SetUp(hostEnd.Index));
        CniTrace.Mark("host end on the bridge, up");
        byte[] mac = [];
        Step($"configure {env.IfName} in {env.Netns}", () => mac = ContainerSide.Configure(env.Netns, env.IfName, address, gateway, podMac));
        log.Info($"{env.IfName} in {env.Netns}: {address} via {gateway}, host end {hostName} on {BridgeName}, mtu {mtu}");
        return PodResult.Build(config.CniVersion!, new PodResult.Attachment(hostEnd.Name, hostEnd.MacAddress, env.IfName, mac, env.Netns, address, gateway));
    }

    private Dictionary<string, string> Metadata(byte[] podMac)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [IRouterIpam.NetworkKey] = config.Name!,
            [IRouterIpam.IfNameKey] = env.IfName,
            [IRouterIpam.MacKey] = MacText.Format(podMac),
        };
        if (env.Args.PodNamespace is { Length: > 0 } ns)
        {
            metadata[CniArgs.PodNamespaceKey] = ns;
        }
        if (env.Args.PodName is { Length: > 0 } pod)
        {
            metadata[CniArgs.PodNameKey] = pod;
        }
        return metadata;
    }

    /// <summary>The bridge's IPv4 address in the pod's subnet (else any of its IPv4 addresses); when
    /// it has none, one from the router for <c>weave:expose</c>, which the router puts on the bridge.</summary>
    private IPAddress BridgeGateway(RouteNetlink host, LinkInfo bridge, CidrAddress pod)
    {
        InterfaceAddress[] addresses = [.. host.ListAddresses(bridge.Index).Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)];
        InterfaceAddress? chosen = addresses.FirstOrDefault(a => pod.Contains(a.Address)) ?? addresses.FirstOrDefault();
        if (chosen is not null)
        {
            return chosen.Address;
        }
        CidrAddress exposed = ipam.ExposeBridge();
        log.Info($"the bridge {BridgeName} had no address: gave it {exposed}");
        return exposed.Address;
    }

    /// <summary>A host veth of this attachment's name is left from an earlier ADD that died before
    /// it could undo: the name is derived from this container and interface, so it is ours to remove.</summary>
    private void RemoveStale(RouteNetlink host, string hostName)
    {
        if (DeleteIfPresent(host, hostName))
        {
            log.Info($"removed a stale {hostName} left by an earlier ADD of this attachment");
        }
    }

    internal static bool DeleteIfPresent(RouteNetlink host, string name)
    {
        LinkInfo? link = host.GetLink(name);
        if (link is null)
        {
            return false;
        }
        try
        {
            host.DeleteLink(link.Index);
            return true;
        }
        catch (LinuxError e) when (e.Errno == Tmds.Linux.LibC.ENODEV)
        {
            return false;
        }
    }

    private static void Step(string what, Action action)
    {
        try
        {
            action();
        }
        catch (LinuxError e)
        {
            throw new CniException(CniErrorCode.LinkFailure, $"cannot {what}: {e.Message}");
        }
    }

    private static SafeHandle OpenNetns(string path)
    {
        try
        {
            return NetNs.Open(path);
        }
        catch (LinuxError e)
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"cannot open the network namespace CNI_NETNS={path}: {e.Message}");
        }
    }

    /// <summary>Runs the undo steps in reverse; returns what failed (empty when all went well).</summary>
    private string UndoAll()
    {
        var failures = new List<string>();
        while (_undo.TryPop(out (string What, Action Undo) step))
        {
            try
            {
                step.Undo();
                log.Info("undone: " + step.What);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add($"cannot {step.What}: {e.Message}");
                log.Error($"cannot {step.What} after the failed ADD: {e.Message}");
            }
        }
        return string.Join("; ", failures);
    }
}
