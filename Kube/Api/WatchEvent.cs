using System.Text.Json;

namespace Weave.Kube.Api;

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK (an object of the kind
/// watched) or ERROR (a <see cref="KubeStatus"/>, e.g. 410 when the version is too old).</summary>
internal sealed record WatchEvent
{
    public string? Type { get; init; }
    public JsonElement Object { get; init; }
}
