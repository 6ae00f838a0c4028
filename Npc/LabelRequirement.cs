using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// One matchExpression. Kubernetes' meaning: In needs the key with one of the values; NotIn and
/// DoesNotExist also match objects without the key; Exists needs the key, whatever its value.
/// </summary>
public sealed record LabelRequirement(string Key, SelectorOperator Operator, ImmutableArray<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        bool has = labels.TryGetValue(Key, out string? value);
        return Operator switch
        {
            SelectorOperator.In => has && Values.Contains(value!, StringComparer.Ordinal),
            SelectorOperator.NotIn => !has || !Values.Contains(value!, StringComparer.Ordinal),
            SelectorOperator.Exists => has,
            SelectorOperator.DoesNotExist => !has,
            _ => false,
        };
    }

    public override string ToString() => Operator switch
    {
        SelectorOperator.Exists => Key,
        SelectorOperator.DoesNotExist => "!" + Key,
        SelectorOperator.In => $"{Key} in ({string.Join(",", Values)})",
        _ => $"{Key} notin ({string.Join(",", Values)})",
    };

    public bool Equals(LabelRequirement? other) => other is not null && Key == other.Key && Operator == other.Operator && Structural.Equal(Values, other.Values);

    public override int GetHashCode() => HashCode.Combine(Key, Operator, Structural.Hash(Values));
}
