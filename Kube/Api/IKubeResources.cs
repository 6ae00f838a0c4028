namespace Weave.Kube.Api;

/// <summary>
/// Listing and watching objects of any kind as JSON, for readers that parse them themselves (the
/// policy controller: pods, namespaces, NetworkPolicies). The seam between such a reader and the API
/// server (<see cref="KubeApiClient"/>; a fake in the unit tests). Every failure is a
/// <see cref="KubeApiException"/>.
/// </summary>
public interface IKubeResources
{
    /// <summary>The API server's address, for log lines.</summary>
    string Server { get; }

    /// <summary>
    /// One page of the collection (at most <see cref="KubeApiClient.ListPageSize"/> objects), from the
    /// start or from <paramref name="continueToken"/>. A token too old to continue from throws
    /// <see cref="KubeApiException"/> with status 410 (Gone): list again from the start.
    /// </summary>
    Task<KubeListPage> ListPageAsync(KubeResource resource, string? continueToken, CancellationToken ct);

    /// <summary>
    /// Changes after <paramref name="resourceVersion"/> (bookmarks included, so that a quiet
    /// collection's version stays fresh), until the server ends the watch or <paramref name="ct"/>
    /// fires. A version too old throws <see cref="KubeApiException"/> with status 410: list again.
    /// </summary>
    IAsyncEnumerable<KubeObjectEvent> WatchAsync(KubeResource resource, string resourceVersion, CancellationToken ct);
}
