using Weave.Cni.RouterApi;
using Weave.Cni.Spec;

namespace Weave.Cni.Commands;

/// <summary>STATUS (spec 1.1): succeeds when the router answers and its IP allocation is ready,
/// else code 50 (the plugin cannot add pods now) with the reason.</summary>
public sealed class StatusCommand(IRouterIpam ipam)
{
    public void Run()
    {
        if (ipam.WhyNotReady() is string reason)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, reason);
        }
    }
}
