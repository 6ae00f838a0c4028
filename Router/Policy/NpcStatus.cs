namespace Weave.Router.Policy;

/// <summary>What the controller last did, for /status and /metrics: published by its loop after each step.</summary>
public sealed record NpcStatus
{
    /// <summary>Namespaces, pods and policies have each been listed at least once.</summary>
    public bool Synced { get; init; }

    /// <summary>The table holds what the controller computed from the snapshot of this generation (0: nothing written yet).</summary>
    public long AppliedGeneration { get; init; }

    public DateTimeOffset? LastApplied { get; init; }

    public double LastApplySeconds { get; init; }

    public int LastScriptBytes { get; init; }

    public long Applies { get; init; }

    public long ApplyFailures { get; init; }

    public string? LastError { get; init; }

    public long Refusals { get; init; }

    public long TableRestores { get; init; }
}
