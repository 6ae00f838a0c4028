using System.Runtime.ExceptionServices;
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
/// <remarks>
/// The two slow parts run side by side: the release's round trip (the router makes it durable
/// before it answers) on a thread of its own while this one waits for the kernel to unregister the
/// veth. So the address may be free a moment before the link is gone, as with Debian's bridge
/// plugin, which releases first; a failed deletion still fails the DEL, and the runtime's retry
/// finds the allocation already released.
/// </remarks>
public sealed class DelCommand(CniEnvironment env, IRouterIpam ipam, CniLog log)
{
    public void Run()
    {
        string hostName = HostVethName.For(env.ContainerId, env.IfName);
        bool released = false;
        ExceptionDispatchInfo? releaseFailure = null;
        var release = new Thread(() =>
        {
            try
            {
                released = ipam.Release(env.ContainerId);
            }
#pragma warning disable CA1031 // rethrown on the command's thread below
            catch (Exception e)
#pragma warning restore CA1031
            {
                releaseFailure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            Name = "release",
            IsBackground = true,
        };
        release.Start();
        try
        {
            DeleteHostEnd(hostName);
        }
        finally
        {
            release.Join();
        }
        releaseFailure?.Throw();
        log.Info(released ? "released the address" : "the router had no address for it");
    }

    private void DeleteHostEnd(string hostName)
    {
        using RouteNetlink host = RouteNetlink.Open();
        try
        {
            log.Info(AddCommand.DeleteIfPresent(host, hostName) ? $"deleted {hostName}" : $"{hostName} was already gone");
        }
        catch (LinuxError e)
        {
            throw new CniException(CniErrorCode.LinkFailure, $"cannot delete {hostName}: {e.Message}");
        }
        CniTrace.Mark("veth deleted");
    }
}
