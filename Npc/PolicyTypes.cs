namespace Weave.Npc;

/// <summary>The directions a policy isolates its pods in (its spec.policyTypes).</summary>
[Flags]
public enum PolicyTypes
{
    None = 0,
    Ingress = 1,
    Egress = 2,
}
