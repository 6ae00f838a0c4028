using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// A label selector: every matchLabels pair and every matchExpression must hold (an AND), so the
/// empty selector <c>{}</c> selects everything. Where a selector may be absent (a peer's), absent
/// and empty differ, and the model says so with a null.
/// </summary>
public sealed record LabelSelector(ImmutableSortedDictionary<string, string> MatchLabels, ImmutableArray<LabelRequirement> MatchExpressions)
{
    public static LabelSelector Everything { get; } = new(Labels.None, []);

    public bool SelectsEverything => MatchLabels.Count == 0 && MatchExpressions.IsEmpty;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach ((string key, string value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out string? actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }
        foreach (LabelRequirement requirement in MatchExpressions)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>In kubectl's selector syntax; <c>{}</c> for the empty selector.</summary>
    public override string ToString() => SelectsEverything
        ? "{}"
        : string.Join(",", MatchLabels.Select(p => $"{p.Key}={p.Value}").Concat(MatchExpressions.Select(e => e.ToString())));

    public bool Equals(LabelSelector? other) =>
        other is not null && Structural.Equal(MatchLabels, other.MatchLabels) && Structural.Equal(MatchExpressions, other.MatchExpressions);

    public override int GetHashCode() => HashCode.Combine(Structural.Hash(MatchLabels), Structural.Hash(MatchExpressions));
}
