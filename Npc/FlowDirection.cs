namespace Weave.Npc;

/// <summary>The two checks a flow passes: egress at its source pod, ingress at its destination pod.</summary>
public enum FlowDirection
{
    Egress,
    Ingress,
}
