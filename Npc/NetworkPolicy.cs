using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// A networking.k8s.io/v1 NetworkPolicy, valid by construction when it comes from the parser.
/// <see cref="DeclaredTypes"/> is spec.policyTypes as written (None when absent or empty);
/// <see cref="Types"/> applies the API's default: Ingress, plus Egress when there are egress rules.
/// </summary>
public sealed record NetworkPolicy(
    string Namespace,
    string Name,
    LabelSelector PodSelector,
    PolicyTypes DeclaredTypes,
    ImmutableArray<PolicyRule> Ingress,
    ImmutableArray<PolicyRule> Egress)
{
    public string Key => $"{Namespace}/{Name}";

    public PolicyTypes Types => DeclaredTypes != PolicyTypes.None
        ? DeclaredTypes
        : PolicyTypes.Ingress | (Egress.IsEmpty ? PolicyTypes.None : PolicyTypes.Egress);

    public ImmutableArray<PolicyRule> Rules(FlowDirection direction) => direction == FlowDirection.Ingress ? Ingress : Egress;

    public override string ToString() => Key;

    public bool Equals(NetworkPolicy? other) => other is not null && Namespace == other.Namespace && Name == other.Name && DeclaredTypes == other.DeclaredTypes
        && PodSelector.Equals(other.PodSelector) && Structural.Equal(Ingress, other.Ingress) && Structural.Equal(Egress, other.Egress);

    public override int GetHashCode() => HashCode.Combine(Namespace, Name, PodSelector, DeclaredTypes, Structural.Hash(Ingress), Structural.Hash(Egress));
}
