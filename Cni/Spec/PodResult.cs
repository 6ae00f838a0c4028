using System.Net;
using Weave.Cni.Pod;
using Weave.Cni.RouterApi;

namespace Weave.Cni.Spec;

/// <summary>The ADD result for one pod attachment, in the shape of the requested spec version:
/// the host end and the pod's interface (with its sandbox), the address on the pod's interface
/// (index 1) with the gateway, the default route, and empty DNS settings.</summary>
public static class PodResult
{
    public sealed record Attachment(string HostName, byte[] HostMac, string IfName, byte[] Mac, string Netns, CidrAddress Address, IPAddress Gateway);

    public static CniResult Build(string version, Attachment pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return new CniResult
        {
            CniVersion = version,
            Interfaces =
            [
                new CniResult.Link { Name = pod.HostName, Mac = MacText.Format(pod.HostMac) },
                new CniResult.Link { Name = pod.IfName, Mac = MacText.Format(pod.Mac), Sandbox = pod.Netns },
            ],
            Ips =
            [
                new CniResult.Ip
                {
                    Version = CniVersion.IpsCarryVersion(version) ? "4" : null,
                    Address = pod.Address.ToString(),
                    Gateway = pod.Gateway.ToString(),
                    InterfaceIndex = 1,
                },
            ],
            Routes = [new CniResult.Route { Destination = "0.0.0.0/0", Gateway = pod.Gateway.ToString() }],
            DnsSettings = new CniResult.Dns(),
        };
    }
}
