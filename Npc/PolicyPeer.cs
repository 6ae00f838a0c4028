namespace Weave.Npc;

/// <summary>
/// One entry of a rule's from/to: pods (<see cref="PodSelector"/> and/or <see cref="NamespaceSelector"/>)
/// or addresses (<see cref="IpBlock"/>), never both (the parser refuses that). A podSelector alone
/// means pods of the policy's own namespace; a namespaceSelector alone, all pods of the matching
/// namespaces; both, the matching pods of the matching namespaces.
/// </summary>
public sealed record PolicyPeer(LabelSelector? PodSelector, LabelSelector? NamespaceSelector, IpBlock? IpBlock)
{
    public static PolicyPeer Pods(LabelSelector? podSelector, LabelSelector? namespaceSelector) => new(podSelector, namespaceSelector, null);

    public static PolicyPeer Addresses(IpBlock block) => new(null, null, block);

    public override string ToString() => IpBlock is not null
        ? $"ipBlock {IpBlock}"
        : string.Join(" ", new[] { NamespaceSelector is null ? null : $"namespaces {NamespaceSelector}", PodSelector is null ? null : $"pods {PodSelector}" }.OfType<string>());
}
