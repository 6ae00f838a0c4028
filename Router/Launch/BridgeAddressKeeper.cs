using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Ipam;
using Weave.Linux;
using Weave.Router.Api;

namespace Weave.Router.Launch;

/// <summary>
/// At start, claims for <c>weave:expose</c> the addresses of the range that the bridge already has:
/// the bridge outlives the router (pods hang on it), so an address exposed before a restart is
/// still the host's, and the allocator must not give it to a pod even when its state file was lost
/// or replaced. Claiming is idempotent when the state kept it. While IP allocation is not ready
/// (no ring yet) the claim is tried again every <see cref="RetryInterval"/>; an address the
/// allocator refuses (held by a pod, a prefix length it does not accept) is logged and left alone.
/// </summary>
internal static class BridgeAddressKeeper
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(IIpamControl ipam, IBridgeAddresses bridge, Cidr range, TimeProvider time, ILogger log, CancellationToken ct)
    {
        IReadOnlyList<(IPAddress Address, int PrefixLength)> onBridge;
        try
        {
            onBridge = [.. bridge.List().Where(a => range.Contains(a.Address))];
        }
        catch (Exception e) when (e is LinuxError or InvalidOperationException)
        {
            RouterLog.BridgeAddressNotKept(log, bridge.Name, "its addresses", e.Message);
            return;
        }
        foreach ((IPAddress address, int prefixLength) in onBridge)
        {
            string cidr = $"{address}/{prefixLength}";
            try
            {
                while (true)
                {
                    AllocationResult claimed = await ipam.ClaimAsync(IpamEndpoints.ExposeId, address, prefixLength, null, ct).ConfigureAwait(false);
                    if (claimed.Succeeded)
                    {
                        RouterLog.BridgeAddressKept(log, bridge.Name, cidr);
                        break;
                    }
                    if (claimed.Error != IpamErrorKind.NotReady)
                    {
                        RouterLog.BridgeAddressNotKept(log, bridge.Name, cidr, claimed.Message);
                        break;
                    }
                    await Task.Delay(RetryInterval, time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (InvalidOperationException)
            {
                return; // the mesh is stopping
            }
        }
    }
}
