using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// One direction's answer. <see cref="Pod"/> is the pod checked (null when that end is not a pod
/// policies can select: nothing isolates it). The pod is isolated when <see cref="IsolatedBy"/>
/// is not empty; then the flow passes only with <see cref="AllowedBy"/>.
/// </summary>
public sealed record DirectionVerdict(FlowDirection Direction, Pod? Pod, ImmutableArray<NetworkPolicy> IsolatedBy, RuleMatch? AllowedBy)
{
    public bool IsIsolated => !IsolatedBy.IsEmpty;

    public bool Allowed => !IsIsolated || AllowedBy is not null;

    public override string ToString()
    {
        string direction = Direction.ToString().ToLowerInvariant();
        if (Pod is null)
        {
            return $"{direction}: allowed (not a pod policies select)";
        }
        if (!IsIsolated)
        {
            return $"{direction}: allowed ({Pod.Key} is not isolated for {direction})";
        }
        string by = string.Join(", ", IsolatedBy.Select(p => p.Key));
        return AllowedBy is null
            ? $"{direction}: denied ({Pod.Key} isolated by {by}; no rule matches)"
            : $"{direction}: allowed by {AllowedBy} ({Pod.Key} isolated by {by})";
    }
}
