using System.Net;

namespace Weave.Kubernetes.Policy;

/// <summary>A port a pod declares in <c>spec.containers[].ports</c>: what a named port resolves to.</summary>
internal sealed record ContainerPort(string Name, int Number, Protocol Protocol);

/// <summary>A pod of the suite as the model sees it; <see cref="Pid"/> is its container's process, whose network namespace the probes enter.</summary>
internal sealed record ClusterPod(
    string Namespace, string Name, string Node, IReadOnlyDictionary<string, string> Labels,
    IPAddress Address, IReadOnlyList<ContainerPort> Ports, int Pid)
{
    public string NetnsPath => $"/proc/{Pid}/ns/net";

    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>
/// What the model decides on: the namespaces with their labels, the pods, and the policies in
/// force, all as the suite set them (addresses as the API reported them).
/// </summary>
internal sealed record ClusterState(
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Namespaces,
    IReadOnlyList<ClusterPod> Pods,
    IReadOnlyList<NetworkPolicy> Policies)
{
    public ClusterPod Pod(string ns, string name) =>
        Pods.Single(p => p.Namespace == ns && p.Name == name);

    public IReadOnlyDictionary<string, string> NamespaceLabels(string ns) =>
        Namespaces.TryGetValue(ns, out IReadOnlyDictionary<string, string>? labels) ? labels : new Dictionary<string, string>();
}
