namespace Weave.Kube.Api;

/// <summary>A list's metadata: the resource version a watch continues from, and the token of the next page.</summary>
public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }

    public string? Continue { get; init; }
}
