namespace Weave.Kube.Api;

/// <summary>A Node as the add-on sees it: its name and the addresses the kubelet reports.</summary>
public sealed record KubeNode
{
    public ObjectMeta Metadata { get; init; } = new();
    public NodeStatus? Status { get; init; }

    public string Name => Metadata.Name ?? "";
}
