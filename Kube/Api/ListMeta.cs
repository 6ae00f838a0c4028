namespace Weave.Kube.Api;

/// <summary>A list's metadata: the resource version a watch continues from.</summary>
public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }
}
