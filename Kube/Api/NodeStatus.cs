namespace Weave.Kube.Api;

/// <summary>A Node's addresses and conditions.</summary>
public sealed record NodeStatus
{
    public List<NodeAddress>? Addresses { get; init; }
    public List<NodeCondition>? Conditions { get; init; }
}
