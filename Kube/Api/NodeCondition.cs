namespace Weave.Kube.Api;

/// <summary>A Node condition, as the add-on patches <c>NetworkUnavailable</c>.</summary>
public sealed record NodeCondition
{
    public required string Type { get; init; }
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? LastTransitionTime { get; init; }
    public DateTimeOffset? LastHeartbeatTime { get; init; }
}
