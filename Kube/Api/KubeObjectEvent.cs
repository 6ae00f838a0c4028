using System.Text.Json;

namespace Weave.Kube.Api;

/// <summary>What a watch reports about an object.</summary>
public enum KubeEventKind
{
    Added,
    Modified,
    Deleted,

    /// <summary>No change, only a newer <see cref="KubeObjectEvent.ResourceVersion"/> to continue from.</summary>
    Bookmark,
}

/// <summary>One event of a watch: the object as JSON (<see cref="Item"/>) and its resource version (the version to continue from).</summary>
public sealed record KubeObjectEvent(KubeEventKind Kind, JsonElement Item, string? ResourceVersion);
