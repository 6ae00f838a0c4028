using Weave.Cni.Pod;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Weave.Linux;

namespace Weave.Cni.Commands;

/// <summary>
/// DEL: removes the host end of the pod's veth (the pod's end goes with it) and releases the
/// container's address. Works from the container ID and interface name alone, so it succeeds when
/// the namespace is gone, CNI_NETNS is empty, there is no prevResult, or the link or allocation is
/// already gone (a second DEL). Only a router that cannot be reached fails it (code 11): the
/// runtime retries, and the address is not leaked.
/// </summary>
public sealed class DelCommand(CniEnvironment env, IRouterIpam ipam, CniLog log)
{
    public void Run()
    {
        string hostName = HostVethName.For(env.ContainerId, env.IfName);
        using (RouteNetlink host = RouteNetlink.Open())
        {
            try
            {
                log.Info(AddCommand.DeleteIfPresent(host, hostName) ? $"deleted {hostName}" : $"{hostName} was already gone");
            }
            catch (LinuxError e)
            {
                throw new CniException(CniErrorCode.LinkFailure, $"cannot delete {hostName}: {e.Message}");
            }
        }
        CniTrace.Mark("veth deleted");
        log.Info(ipam.Release(env.ContainerId) ? "released the address" : "the router had no address for it");
    }
}
