using System.Net;

namespace Weave.Npc;

/// <summary>
/// One end of a flow: an address, and the pod that has it when it is a pod of the cluster. Only a
/// pod that is not on the host network is seen by policies as a pod (<see cref="PolicyPod"/>).
/// </summary>
public sealed record FlowEndpoint(IPAddress Address, Pod? Pod)
{
    public static FlowEndpoint External(IPAddress address) => new(address, null);

    /// <summary>The pod at <paramref name="address"/>, by default its first.</summary>
    /// <exception cref="ArgumentException">The pod has no such address (or none at all).</exception>
    public static FlowEndpoint OfPod(Pod pod, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.Addresses.IsEmpty || (address is not null && !pod.Addresses.Contains(address)))
        {
            throw new ArgumentException($"pod {pod.Key} does not have address {address?.ToString() ?? "(any)"}", nameof(address));
        }
        return new FlowEndpoint(address ?? pod.Addresses[0], pod);
    }

    /// <summary>The pod policies can select and match by selectors; null for addresses and hostNetwork pods.</summary>
    public Pod? PolicyPod => Pod is { HostNetwork: false } pod ? pod : null;

    public override string ToString() => Pod is null ? Address.ToString() : $"{Pod.Key} ({Address}{(Pod.HostNetwork ? ", hostNetwork" : "")})";
}
