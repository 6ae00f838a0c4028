using System.Net;
using System.Text.Json;
using Weave.Cni.Pod;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Weave.Linux;

namespace Weave.Cni.Commands;

/// <summary>
/// CHECK: the previous result against reality: the pod's interface (name, MAC), its addresses, the
/// default route via the gateway, the host end on the bridge, and the router's allocation for the
/// container. The first difference fails it with code 102 and a message naming what differs.
/// </summary>
public sealed class CheckCommand(CniEnvironment env, NetworkConfig config, IRouterIpam ipam)
{
    public void Run()
    {
        CniResult previous = PreviousResult();
        CniResult.Link? pod = previous.Interfaces?.FirstOrDefault(i => i.Name == env.IfName && !string.IsNullOrEmpty(i.Sandbox))
            ?? throw Mismatch($"prevResult lists no interface {env.IfName} in a sandbox");
        int podIndex = previous.Interfaces!.IndexOf(pod);
        List<CidrAddress> expected = ExpectedAddresses(previous, podIndex);

        ContainerSide.State state = InspectPod();
        LinkInfo link = state.Link ?? throw Mismatch($"interface {env.IfName} does not exist in {env.Netns}");
        if (!string.IsNullOrEmpty(pod.Mac) && !string.Equals(MacText.Format(link.MacAddress), pod.Mac, StringComparison.OrdinalIgnoreCase))
        {
            throw Mismatch($"{env.IfName} has MAC {MacText.Format(link.MacAddress)}, prevResult says {pod.Mac}");
        }
        if (!link.IsUp)
        {
            throw Mismatch($"{env.IfName} in {env.Netns} is down");
        }
        foreach (CidrAddress address in expected)
        {
            if (!state.Addresses.Any(a => a.Address.Equals(address.Address) && a.PrefixLength == address.PrefixLength))
            {
                throw Mismatch($"{env.IfName} lacks {address} (it has {Describe(state.Addresses)})");
            }
        }
        CheckRoutes(previous, state);
        CheckHostEnd();
        CheckAllocation(expected);
    }

    private CniResult PreviousResult()
    {
        if (config.PrevResult is not { ValueKind: JsonValueKind.Object } json)
        {
            throw new CniException(CniErrorCode.InvalidConfig, "CHECK needs prevResult in the network configuration");
        }
        try
        {
            return json.Deserialize(CniJsonContext.Default.CniResult) ?? throw new CniException(CniErrorCode.InvalidConfig, "prevResult is null");
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.InvalidConfig, $"prevResult at {e.Path ?? "$"} is not a CNI result: {e.Message}");
        }
    }

    private static List<CidrAddress> ExpectedAddresses(CniResult previous, int podIndex)
    {
        var expected = new List<CidrAddress>();
        foreach (CniResult.Ip ip in previous.Ips ?? [])
        {
            if (ip.InterfaceIndex is int index && index != podIndex)
            {
                continue;
            }
            expected.Add(CidrAddress.TryParse(ip.Address, out CidrAddress? address)
                ? address!
                : throw new CniException(CniErrorCode.InvalidConfig, $"prevResult's address '{CniEnvironment.Shorten(ip.Address ?? "")}' is not an IPv4 address with a prefix length"));
        }
        return expected.Count > 0 ? expected : throw Mismatch("prevResult has no address for " + "the pod's interface");
    }

    private ContainerSide.State InspectPod()
    {
        try
        {
            return ContainerSide.Inspect(env.Netns, env.IfName);
        }
        catch (LinuxError e)
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"cannot look into CNI_NETNS={env.Netns}: {e.Message}");
        }
    }

    private static void CheckRoutes(CniResult previous, ContainerSide.State state)
    {
        foreach (CniResult.Route route in previous.Routes ?? [])
        {
            if (!CidrAddress.TryParse(route.Destination, out CidrAddress? destination))
            {
                throw new CniException(CniErrorCode.InvalidConfig, $"prevResult's route '{CniEnvironment.Shorten(route.Destination ?? "")}' is not an IPv4 prefix");
            }
            IPAddress? gateway = null;
            if (route.Gateway is not null && !IPAddress.TryParse(route.Gateway, out gateway))
            {
                throw new CniException(CniErrorCode.InvalidConfig, $"prevResult's route gateway '{CniEnvironment.Shorten(route.Gateway)}' is not an IP address");
            }
            bool present = state.Routes.Any(r => r.PrefixLength == destination!.PrefixLength && r.Destination.Equals(destination.Address) &&
                (gateway is null || gateway.Equals(r.Gateway)));
            if (!present)
            {
                throw Mismatch($"route {destination}{(gateway is null ? "" : " via " + gateway)} is missing (routes: {string.Join(", ", state.Routes)})");
            }
        }
    }

    private void CheckHostEnd()
    {
        string hostName = HostVethName.For(env.ContainerId, env.IfName);
        using RouteNetlink host = RouteNetlink.Open();
        LinkInfo hostEnd = host.GetLink(hostName) ?? throw Mismatch($"the host end {hostName} does not exist");
        LinkInfo? bridge = host.GetLink(AddCommand.BridgeName);
        if (bridge is null || hostEnd.MasterIndex != bridge.Index)
        {
            throw Mismatch($"the host end {hostName} is not attached to the bridge {AddCommand.BridgeName}");
        }
    }

    private void CheckAllocation(List<CidrAddress> expected)
    {
        IReadOnlyList<CidrAddress> allocated = ipam.Lookup(env.ContainerId);
        foreach (CidrAddress address in expected)
        {
            if (!allocated.Contains(address))
            {
                throw Mismatch(allocated.Count == 0
                    ? $"the router has no address allocated for {env.ContainerId}"
                    : $"the router has {string.Join(", ", allocated)} for {env.ContainerId}, not {address}");
            }
        }
    }

    private static string Describe(IReadOnlyList<InterfaceAddress> addresses) =>
        addresses.Count == 0 ? "none" : string.Join(", ", addresses);

    private static CniException Mismatch(string message) => new(CniErrorCode.CheckMismatch, message);
}
