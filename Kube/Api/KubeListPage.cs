using System.Text.Json;

namespace Weave.Kube.Api;

/// <summary>One page of a list: its objects as JSON, the version to watch from, and the token of the next page (null on the last).</summary>
public sealed record KubeListPage
{
    public ListMeta Metadata { get; init; } = new();
    public List<JsonElement> Items { get; init; } = [];
}
