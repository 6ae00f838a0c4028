namespace Weave.Kube.Api;

/// <summary>A ConfigMap; the add-on keeps its peer list and reclaim locks in its annotations.</summary>
public sealed record KubeConfigMap
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "ConfigMap";
    public ObjectMeta Metadata { get; init; } = new();
    public Dictionary<string, string>? Data { get; init; }

    public IReadOnlyDictionary<string, string> Annotations =>
        Metadata.Annotations ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A copy with <paramref name="change"/> applied to its annotations (the version is kept: the update names it).</summary>
    public KubeConfigMap WithAnnotations(Action<Dictionary<string, string>> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var annotations = new Dictionary<string, string>(Annotations, StringComparer.Ordinal);
        change(annotations);
        return this with { Metadata = Metadata with { Annotations = annotations } };
    }
}
