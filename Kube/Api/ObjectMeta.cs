namespace Weave.Kube.Api;

/// <summary>The part of Kubernetes' object metadata the add-on reads and writes.</summary>
public sealed record ObjectMeta
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public string? Uid { get; init; }

    /// <summary>The version an update must name: the API refuses it (409 Conflict) when the object changed since.</summary>
    public string? ResourceVersion { get; init; }

    public Dictionary<string, string>? Annotations { get; init; }
}
