namespace Weave.Kubernetes.Policy;

/// <summary>
/// One conformance scenario: the policies it starts from (every other policy is deleted first),
/// made from the cluster's state because some name pods' addresses; then, optionally, a change
/// while those policies stay (a policy updated or deleted, a label changed, a pod recreated),
/// after which the matrix is probed again; and what puts the cluster back for the next scenario.
/// </summary>
internal sealed record Scenario(string Name, Func<ClusterState, IReadOnlyList<NetworkPolicy>> Policies)
{
    public string? ChangeWhat { get; init; }

    public Func<PolicyLab, Task>? Change { get; init; }

    public Func<PolicyLab, Task>? Restore { get; init; }

    public Scenario Then(string what, Func<PolicyLab, Task> change, Func<PolicyLab, Task>? restore = null) =>
        this with { ChangeWhat = what, Change = change, Restore = restore };

    public override string ToString() => Name;
}
