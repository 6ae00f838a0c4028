namespace Weave.Kube.Api;

/// <summary>What a node watch reports.</summary>
public enum NodeEventKind
{
    Added,
    Modified,
    Deleted,
}

public sealed record NodeEvent(NodeEventKind Kind, KubeNode Node);
