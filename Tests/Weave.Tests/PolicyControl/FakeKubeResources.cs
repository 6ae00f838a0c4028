using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Weave.Kube.Api;

namespace Weave.Tests.PolicyControl;

/// <summary>
/// An API server's collections in memory, as the policy controller reads them: objects as JSON,
/// listed two per page (so paging is always exercised), watched from a version; a version older
/// than <see cref="Compact"/> left is answered 410 Gone. <see cref="Fault"/> fails requests.
/// </summary>
internal sealed class FakeKubeResources : IKubeResources
{
    public const int PageSize = 2;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonElement>> _objects = new(StringComparer.Ordinal);
    private readonly List<(KubeResource Resource, Channel<KubeObjectEvent> Events)> _watches = [];
    private long _version = 100;
    private long _compacted;

    public string Server => "https://fake";

    /// <summary>Called with <c>list pods</c>, <c>watch pods</c>, ...: an exception returned is thrown.</summary>
    public Func<string, Exception?> Fault { get; set; } = _ => null;

    public int Lists { get; private set; }

    public static KubeApiException Unreachable(string what) => new(what, null, null, $"{what}: cannot reach the Kubernetes API at https://fake: connection refused");

    /// <summary>Creates or replaces an object (<paramref name="json"/> as the API writes it); watchers see ADDED or MODIFIED.</summary>
    public void Put(KubeResource resource, byte[] json)
    {
        lock (_gate)
        {
            JsonElement item = Versioned(json);
            string key = KeyOf(item);
            SortedDictionary<string, JsonElement> objects = Objects(resource);
            KubeEventKind kind = objects.ContainsKey(key) ? KubeEventKind.Modified : KubeEventKind.Added;
            objects[key] = item;
            Publish(resource, kind, item);
        }
    }

    public void Delete(KubeResource resource, string key)
    {
        lock (_gate)
        {
            if (Objects(resource).Remove(key, out JsonElement item))
            {
                Publish(resource, KubeEventKind.Deleted, item);
            }
        }
    }

    /// <summary>Forgets history: every watch ends, and any version before now is too old.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compacted = _version;
            foreach ((_, Channel<KubeObjectEvent> events) in _watches)
            {
                events.Writer.TryComplete(new KubeApiException("watch", HttpStatusCode.Gone, "Expired", "too old resource version"));
            }
            _watches.Clear();
        }
    }

    /// <summary>Ends every watch as a server restart would (the connection drops).</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach ((_, Channel<KubeObjectEvent> events) in _watches)
            {
                events.Writer.TryComplete(Unreachable("watch"));
            }
            _watches.Clear();
        }
    }

    public Task<KubeListPage> ListPageAsync(KubeResource resource, string? continueToken, CancellationToken ct)
    {
        string what = "list " + resource.Name;
        if (Fault(what) is { } fault)
        {
            return Task.FromException<KubeListPage>(fault);
        }
        lock (_gate)
        {
            Lists++;
            int skip = continueToken is null ? 0 : int.Parse(continueToken, System.Globalization.CultureInfo.InvariantCulture);
            JsonElement[] all = [.. Objects(resource).Values];
            bool more = skip + PageSize < all.Length;
            return Task.FromResult(new KubeListPage
            {
                Metadata = new ListMeta
                {
                    ResourceVersion = _version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Continue = more ? (skip + PageSize).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                },
                Items = [.. all.Skip(skip).Take(PageSize)],
            });
        }
    }

    public async IAsyncEnumerable<KubeObjectEvent> WatchAsync(KubeResource resource, string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        string what = "watch " + resource.Name;
        if (Fault(what) is { } fault)
        {
            throw fault;
        }
        var events = Channel.CreateUnbounded<KubeObjectEvent>();
        lock (_gate)
        {
            if (long.Parse(resourceVersion, System.Globalization.CultureInfo.InvariantCulture) < _compacted)
            {
                throw new KubeApiException(what, HttpStatusCode.Gone, "Expired", $"{what}: too old resource version");
            }
            _watches.Add((resource, events));
        }
        await foreach (KubeObjectEvent e in events.Reader.ReadAllAsync(ct))
        {
            yield return e;
        }
    }

    private SortedDictionary<string, JsonElement> Objects(KubeResource resource)
    {
        if (!_objects.TryGetValue(resource.Name, out SortedDictionary<string, JsonElement>? objects))
        {
            objects = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
            _objects[resource.Name] = objects;
        }
        return objects;
    }

    private void Publish(KubeResource resource, KubeEventKind kind, JsonElement item)
    {
        string version = _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach ((KubeResource watched, Channel<KubeObjectEvent> events) in _watches)
        {
            if (watched == resource)
            {
                events.Writer.TryWrite(new KubeObjectEvent(kind, item, version));
            }
        }
    }

    /// <summary>The object with the next resource version in its metadata, as the server stamps it.</summary>
    private JsonElement Versioned(byte[] json)
    {
        _version++;
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["metadata"]!["resourceVersion"] = _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
    }

    private static string KeyOf(JsonElement item)
    {
        JsonElement meta = item.GetProperty("metadata");
        string name = meta.GetProperty("name").GetString()!;
        return meta.TryGetProperty("namespace", out JsonElement ns) ? ns.GetString() + "/" + name : name;
    }
}
