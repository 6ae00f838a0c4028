using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Weave.Kube.Api;

/// <summary>Watches: a long GET whose answer is one JSON event per line until the server ends it.</summary>
public sealed partial class KubeApiClient
{
    public async IAsyncEnumerable<NodeEvent> WatchNodesAsync(string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        string path = $"/api/v1/nodes?watch=true&allowWatchBookmarks=true&timeoutSeconds={WatchSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        await foreach (WatchEvent e in WatchLinesAsync(path, "watch nodes", ct).ConfigureAwait(false))
        {
            if (ToNodeEvent(e) is { } nodeEvent)
            {
                yield return nodeEvent;
            }
        }
    }

    public async IAsyncEnumerable<KubeObjectEvent> WatchAsync(KubeResource resource, string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string path = $"{resource.Path}?watch=true&allowWatchBookmarks=true&timeoutSeconds={WatchSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        await foreach (WatchEvent e in WatchLinesAsync(path, "watch " + resource.Name, ct).ConfigureAwait(false))
        {
            KubeEventKind? kind = e.Type switch
            {
                "ADDED" => KubeEventKind.Added,
                "MODIFIED" => KubeEventKind.Modified,
                "DELETED" => KubeEventKind.Deleted,
                "BOOKMARK" => KubeEventKind.Bookmark,
                _ => null,
            };
            if (kind is not null)
            {
                yield return new KubeObjectEvent(kind.Value, e.Object, ResourceVersionOf(e.Object));
            }
        }
    }

    /// <summary>
    /// The watch's events, ended quietly at the server's timeout or, when the connection died
    /// without a word (a NAT, a crashed server), a little later: the caller then watches again.
    /// </summary>
    private async IAsyncEnumerable<WatchEvent> WatchLinesAsync(string path, string what, [EnumeratorCancellation] CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(WatchSeconds + 30));
        IAsyncEnumerator<WatchEvent> events = ReadWatchAsync(path, what, deadline.Token).GetAsyncEnumerator(deadline.Token);
        await using (events.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    yield break;
                }
                yield return events.Current;
            }
        }
    }

    private async IAsyncEnumerable<WatchEvent> ReadWatchAsync(string path, string what, [EnumeratorCancellation] CancellationToken ct)
    {
        using HttpResponseMessage response = await StartAsync(HttpMethod.Get, path, null, what, ct).ConfigureAwait(false);
        Stream stream;
        try
        {
            stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw Unreachable(what, e);
        }
        await using (stream.ConfigureAwait(false))
        using (var lines = new BoundedLineReader(stream, MaxObjectBytes))
        {
            while (true)
            {
                ReadOnlyMemory<byte>? line;
                try
                {
                    line = await lines.ReadLineAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException)
                {
                    throw Unreachable(what, e);
                }
                if (line is null)
                {
                    yield break;
                }
                if (!line.Value.IsEmpty)
                {
                    yield return ParseWatchLine(line.Value.Span, what);
                }
            }
        }
    }

    /// <summary>A watch line as a node event; null for bookmarks; ERROR lines throw with the server's status.</summary>
    internal static NodeEvent? ParseNodeEvent(ReadOnlySpan<byte> line, string what) => ToNodeEvent(ParseWatchLine(line, what));

    /// <summary>One line of a watch: an event with a type and an object; ERROR lines throw with the server's status.</summary>
    internal static WatchEvent ParseWatchLine(ReadOnlySpan<byte> line, string what)
    {
        WatchEvent? e;
        try
        {
            e = JsonSerializer.Deserialize(line, KubeJson.Default.WatchEvent);
        }
        catch (JsonException ex)
        {
            throw new KubeApiException(what, null, null, $"{what}: the server sent an event that is not JSON: {ex.Message}", ex);
        }
        if (e?.Type is null || e.Object.ValueKind != JsonValueKind.Object)
        {
            throw new KubeApiException(what, null, null, $"{what}: the server sent an event without a type or object");
        }
        if (e.Type == "ERROR")
        {
            KubeStatus? status = e.Object.Deserialize(KubeJson.Default.KubeStatus);
            throw new KubeApiException(what, (HttpStatusCode)(status?.Code ?? 500), status?.Reason,
                $"{what}: {status?.Message ?? "the server ended the watch with an error"}");
        }
        return e;
    }

    private static NodeEvent? ToNodeEvent(WatchEvent e)
    {
        NodeEventKind? kind = e.Type switch
        {
            "ADDED" => NodeEventKind.Added,
            "MODIFIED" => NodeEventKind.Modified,
            "DELETED" => NodeEventKind.Deleted,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }
        KubeNode? node = e.Object.Deserialize(KubeJson.Default.KubeNode);
        return node is null || node.Name.Length == 0 ? null : new NodeEvent(kind.Value, node);
    }

    /// <summary>metadata.resourceVersion of an object, when it is a string.</summary>
    private static string? ResourceVersionOf(JsonElement obj) =>
        obj.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object
            && meta.TryGetProperty("resourceVersion", out JsonElement version) && version.ValueKind == JsonValueKind.String
            ? version.GetString()
            : null;
}
