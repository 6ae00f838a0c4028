namespace Weave.Kube.Api;

/// <summary>
/// The Kubernetes API calls the add-on makes: the seam between the add-on's logic and the API
/// server (<see cref="KubeApiClient"/> over HTTPS; a fake in the unit tests). Every failure is a
/// <see cref="KubeApiException"/>.
/// </summary>
public interface IKubeApi
{
    /// <summary>The API server's address, for log lines.</summary>
    string Server { get; }

    Task<KubeVersion> GetVersionAsync(CancellationToken ct);

    Task<KubeNodeList> ListNodesAsync(CancellationToken ct);

    /// <summary>
    /// Changes to Nodes after <paramref name="resourceVersion"/>, until the server ends the watch
    /// (it does every few minutes) or <paramref name="ct"/> fires. A version too old to continue from
    /// throws <see cref="KubeApiException"/> with status 410 (Gone): list again.
    /// </summary>
    IAsyncEnumerable<NodeEvent> WatchNodesAsync(string resourceVersion, CancellationToken ct);

    /// <summary>Sets one condition of a Node's status (a strategic merge: other conditions stay).</summary>
    Task PatchNodeConditionAsync(string node, NodeCondition condition, CancellationToken ct);

    /// <summary>The ConfigMap, or null when it does not exist.</summary>
    Task<KubeConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken ct);

    /// <summary>Creates it; 409 AlreadyExists when another creator was first.</summary>
    Task<KubeConfigMap> CreateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct);

    /// <summary>Replaces it if its resource version is still the one given; 409 Conflict when it changed since.</summary>
    Task<KubeConfigMap> UpdateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct);
}
