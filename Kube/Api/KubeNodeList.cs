namespace Weave.Kube.Api;

/// <summary>A list of Nodes and the version to watch from.</summary>
public sealed record KubeNodeList
{
    public ListMeta Metadata { get; init; } = new();
    public List<KubeNode> Items { get; init; } = [];
}
