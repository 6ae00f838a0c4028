using System.Text.Json;
using Weave.Kube.Api;

namespace Weave.Kube;

/// <summary>
/// What a <see cref="ResourceFollower"/> reports: either the whole collection as just listed
/// (<see cref="Listed"/>: objects not in it are gone), or one change from the watch
/// (<see cref="Change"/>).
/// </summary>
public sealed record ResourceUpdate(KubeResource Resource, IReadOnlyList<JsonElement>? Listed, KubeObjectEvent? Change)
{
    public static ResourceUpdate OfList(KubeResource resource, IReadOnlyList<JsonElement> items) => new(resource, items, null);

    public static ResourceUpdate OfChange(KubeResource resource, KubeObjectEvent change) => new(resource, null, change);
}
