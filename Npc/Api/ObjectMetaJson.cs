namespace Weave.Npc.Api;

/// <summary>The part of an object's metadata policies read.</summary>
internal sealed record ObjectMetaJson
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
}
