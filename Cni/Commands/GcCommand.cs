using Weave.Cni.Pod;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Weave.Linux;

namespace Weave.Cni.Commands;

/// <summary>
/// GC (spec 1.1): releases this network's allocations (those the router keeps with
/// <c>CNI_NETWORK</c> = the config's name) whose attachment is not among
/// <c>cni.dev/valid-attachments</c> (or <c>cni.dev/attachments</c>), and deletes their host veths.
/// Without either key the runtime has told us nothing, and nothing is released. Allocations made
/// by others (<c>weave:expose</c>, another network, the CLI) are never touched.
/// </summary>
public sealed class GcCommand(NetworkConfig config, IRouterIpam ipam, CniLog log)
{
    /// <summary>Returns how many allocations were released.</summary>
    public int Run()
    {
        List<CniAttachment>? valid = config.ValidAttachments ?? config.Attachments;
        if (valid is null)
        {
            log.Info("GC without cni.dev/valid-attachments: nothing to release");
            return 0;
        }
        var keep = new HashSet<(string, string)>();
        foreach (CniAttachment attachment in valid)
        {
            keep.Add((attachment.ContainerId ?? "", attachment.IfName ?? ""));
        }
        int released = 0;
        using RouteNetlink host = RouteNetlink.Open();
        foreach (OwnedAllocations.Entry entry in ipam.List())
        {
            if (entry.ContainerId is not { Length: > 0 } id || entry.Metadata is null ||
                !entry.Metadata.TryGetValue(IRouterIpam.NetworkKey, out string? network) || network != config.Name)
            {
                continue;
            }
            string ifName = entry.Metadata.GetValueOrDefault(IRouterIpam.IfNameKey) ?? "";
            if (keep.Contains((id, ifName)) || (ifName.Length == 0 && keep.Any(k => k.Item1 == id)))
            {
                continue;
            }
            if (InterfaceName.IsValid(ifName))
            {
                _ = AddCommand.DeleteIfPresent(host, HostVethName.For(id, ifName));
            }
            if (ipam.Release(id))
            {
                released++;
                log.Info($"released {string.Join(", ", entry.Addresses ?? [])} of {id} ({ifName}): not a valid attachment");
            }
        }
        return released;
    }
}
