namespace Weave.Npc.Api;

/// <summary>A v1 Namespace: its name and labels.</summary>
internal sealed record NamespaceJson
{
    public ObjectMetaJson? Metadata { get; init; }
}
