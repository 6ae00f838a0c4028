namespace Weave.Npc;

/// <summary>
/// The decision on a flow and why: it is allowed only when both egress at the source and ingress
/// at the destination allow it. Replies of an allowed flow are not decided here: they are allowed
/// (enforcement accepts established connections by conntrack).
/// </summary>
public sealed record FlowExplanation(Flow Flow, DirectionVerdict Egress, DirectionVerdict Ingress)
{
    public bool Allowed => Egress.Allowed && Ingress.Allowed;

    public override string ToString() =>
        $"{Flow}: {(Allowed ? "allowed" : "denied")}{Environment.NewLine}  {Egress}{Environment.NewLine}  {Ingress}";
}
