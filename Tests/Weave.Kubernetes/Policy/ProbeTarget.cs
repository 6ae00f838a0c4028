using System.Net;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Where a probe goes: a pod of the suite, or an address outside the cluster (the lab's world,
/// 10.201.0.1), which only the pods' egress policies can stop.
/// </summary>
internal sealed record ProbeTarget(string Label, IPAddress Address, ClusterPod? Pod)
{
    public static ProbeTarget ToPod(ClusterPod pod) => new(pod.ToString(), pod.Address, pod);

    public static ProbeTarget Outside(IPAddress address) => new("world", address, null);

    public override string ToString() => Label;
}

/// <summary>One cell of the matrix: a source pod, a target, and a port.</summary>
internal sealed record ProbeCase(ClusterPod Source, ProbeTarget Target, int Port, Protocol Protocol)
{
    public string Column => $"{Port}/{(Protocol == Protocol.Tcp ? "TCP" : "UDP")}";

    public override string ToString() => $"{Source} -> {Target} {Column}";
}
