namespace Weave.Npc;

/// <summary>The operators of a label selector's matchExpressions.</summary>
public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}
