using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Weave.Kube.Api;

/// <summary>Watching Nodes: a long GET whose answer is one JSON event per line until the server ends it.</summary>
public sealed partial class KubeApiClient
{
    public async IAsyncEnumerable<NodeEvent> WatchNodesAsync(string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        string path = $"/api/v1/nodes?watch=true&allowWatchBookmarks=true&timeoutSeconds={WatchSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        const string what = "watch nodes";
        // The server ends the watch after WatchSeconds; a connection that died without a word
        // (a NAT, a crashed server) must not leave the watch waiting for ever.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(WatchSeconds + 30));
        IAsyncEnumerator<NodeEvent> events = ReadWatchAsync(path, what, deadline.Token).GetAsyncEnumerator(deadline.Token);
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
                    yield break; // past the deadline: the caller watches again
                }
                yield return events.Current;
            }
        }
    }

    private async IAsyncEnumerable<NodeEvent> ReadWatchAsync(string path, string what, [EnumeratorCancellation] CancellationToken ct)
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
                if (line.Value.IsEmpty)
                {
                    continue;
                }
                if (ParseNodeEvent(line.Value.Span, what) is { } nodeEvent)
                {
                    yield return nodeEvent;
                }
            }
        }
    }

    /// <summary>A watch line as a node event; null for bookmarks; ERROR lines throw with the server's status.</summary>
    internal static NodeEvent? ParseNodeEvent(ReadOnlySpan<byte> line, string what)
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
}
