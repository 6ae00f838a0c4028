using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>A namespace: its labels are what a policy peer's namespaceSelector matches.</summary>
public sealed record ClusterNamespace(string Name, ImmutableSortedDictionary<string, string> Labels)
{
    public bool Equals(ClusterNamespace? other) => other is not null && Name == other.Name && Structural.Equal(Labels, other.Labels);

    public override int GetHashCode() => HashCode.Combine(Name, Structural.Hash(Labels));
}
