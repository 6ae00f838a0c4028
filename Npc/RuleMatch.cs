namespace Weave.Npc;

/// <summary>
/// What allowed one direction of a flow: a rule of a policy, its peer (null when the rule has no
/// peers, so allows all) and its port (null when it has no ports, so allows all).
/// </summary>
public sealed record RuleMatch(NetworkPolicy Policy, FlowDirection Direction, int RuleIndex, int? PeerIndex, int? PortIndex)
{
    public override string ToString()
    {
        bool ingress = Direction == FlowDirection.Ingress;
        PolicyRule rule = Policy.Rules(Direction)[RuleIndex];
        string peer = PeerIndex is int p ? $"{(ingress ? "from" : "to")}[{p}] {rule.Peers[p]}" : "any peer";
        string port = PortIndex is int q ? $"ports[{q}] {rule.Ports[q]}" : "any port";
        return $"{Policy.Key} {(ingress ? "ingress" : "egress")}[{RuleIndex}]: {peer}, {port}";
    }
}
