using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Kube.Api;

namespace Weave.Kube;

/// <summary>
/// Follows one kind of object across the cluster: lists it (page by page), reports the whole list,
/// then watches from the list's version and reports each change; lists again when the version is
/// too old, and after any failure (so a reconnect to the API always starts from a complete list).
/// While the API cannot be reached nothing is reported: the reader keeps what it had.
/// </summary>
public sealed class ResourceFollower
{
    /// <summary>
    /// A cluster holds at most 150,000 pods (Kubernetes' own scalability limit); a list longer than
    /// this is not believed, and is retried rather than held in memory.
    /// </summary>
    public const int MaxObjects = 200_000;

    private readonly IKubeResources _api;
    private readonly KubeResource _resource;
    private readonly ChannelWriter<ResourceUpdate> _updates;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public ResourceFollower(IKubeResources api, KubeResource resource, ChannelWriter<ResourceUpdate> updates, TimeProvider time, ILogger log)
    {
        _api = api;
        _resource = resource;
        _updates = updates;
        _time = time;
        _log = log;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var retry = new ApiRetry(_log, _time);
        while (true)
        {
            try
            {
                (List<JsonElement> items, string version) = await ListAsync(ct).ConfigureAwait(false);
                await _updates.WriteAsync(ResourceUpdate.OfList(_resource, items), ct).ConfigureAwait(false);
                retry.Succeeded();
                while (true)
                {
                    // As NodeFollower: each watch ends after minutes; one that ends at once is
                    // not repeated at once.
                    long started = _time.GetTimestamp();
                    version = await WatchAsync(version, ct).ConfigureAwait(false);
                    if (_time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Gone)
            {
                // Too old to continue from: list again at once.
            }
            catch (KubeApiException e)
            {
                await retry.WaitAsync(e, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<(List<JsonElement> Items, string Version)> ListAsync(CancellationToken ct)
    {
        var items = new List<JsonElement>();
        string? token = null;
        string? version;
        do
        {
            KubeListPage page = await _api.ListPageAsync(_resource, token, ct).ConfigureAwait(false);
            items.AddRange(page.Items);
            if (items.Count > MaxObjects)
            {
                throw new KubeApiException("list " + _resource.Name, null, null,
                    $"list {_resource.Name}: the server listed over {MaxObjects} objects, more than any cluster holds");
            }
            version = page.Metadata.ResourceVersion;
            token = page.Metadata.Continue is { Length: > 0 } next ? next : null;
        }
        while (token is not null);
        return (items, version ?? "0");
    }

    private async Task<string> WatchAsync(string version, CancellationToken ct)
    {
        await foreach (KubeObjectEvent e in _api.WatchAsync(_resource, version, ct).ConfigureAwait(false))
        {
            version = e.ResourceVersion ?? version;
            if (e.Kind != KubeEventKind.Bookmark)
            {
                await _updates.WriteAsync(ResourceUpdate.OfChange(_resource, e), ct).ConfigureAwait(false);
            }
        }
        return version;
    }
}
