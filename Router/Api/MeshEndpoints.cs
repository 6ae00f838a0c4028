using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Clusters;

namespace Weave.Router.Api;

/// <summary>
/// The mesh's part of the local API, with Weave Net's paths: <c>GET /status</c>,
/// <c>/status/{connections,peers,targets}</c>, <c>POST /connect</c> (<c>peer=</c> repeated,
/// <c>replace=true</c>) and <c>POST /forget</c> (<c>peer=</c>). Text answers; 503 until ready;
/// bad input is a 400 whose text names the bad value.
/// </summary>
public static class MeshEndpoints
{
    /// <summary>Most <c>peer=</c> values one request may carry.</summary>
    public const int MaxPeersPerRequest = 256;

    private const string NotReady = "router is starting\n";

    /// <summary>Form fields are short addresses: small limits keep a hostile body from costing memory.</summary>
    private static readonly FormOptions s_formLimits = new()
    {
        ValueCountLimit = MaxPeersPerRequest + 8,
        ValueLengthLimit = 1024,
        KeyLengthLimit = 64,
        BufferBody = false,
    };

    /// <param name="moreSummary">Sections other services add to <c>GET /status</c> (IPAM's), after the router's.</param>
    public static void MapMeshEndpoints(this WebApplication app, IMeshControl mesh, Func<bool> isReady, RouterInfo info,
        Func<CancellationToken, Task<string>>? moreSummary = null)
    {
        MapMeshStatusEndpoints(app, mesh, isReady, info, moreSummary);
        app.MapPost("/connect", (HttpRequest request, CancellationToken ct) => Change(request, allowReplace: true, isReady, info.MeshPort,
            (peers, replace, c) => mesh.ConnectAsync(peers, replace, c), ct));
        app.MapPost("/forget", (HttpRequest request, CancellationToken ct) => Change(request, allowReplace: false, isReady, info.MeshPort,
            (peers, _, c) => mesh.ForgetAsync(peers, c), ct));
    }

    /// <summary>The read-only part: <c>GET /status</c> and <c>/status/{connections,peers,targets}</c>.</summary>
    public static void MapMeshStatusEndpoints(this WebApplication app, IMeshControl mesh, Func<bool> isReady, RouterInfo info,
        Func<CancellationToken, Task<string>>? moreSummary = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(isReady);
        ArgumentNullException.ThrowIfNull(info);

        async Task<IResult> Status(Func<MeshStatus, string> render, CancellationToken ct, Func<CancellationToken, Task<string>>? more = null)
        {
            if (!isReady())
            {
                return Results.Text(NotReady, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await mesh.StatusAsync(ct).ConfigureAwait(false);
            string text = render(status);
            return Results.Text(more is null ? text : text + await more(ct).ConfigureAwait(false));
        }

        app.MapGet("/status", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text(NotReady, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await mesh.StatusAsync(ct).ConfigureAwait(false);
            ClusterView clusters = await mesh.ClustersAsync(ct).ConfigureAwait(false);
            string text = StatusText.Summary(status, info, clusters);
            return Results.Text(moreSummary is null ? text : text + await moreSummary(ct).ConfigureAwait(false));
        });
        app.MapGet("/status/connections", (CancellationToken ct) => Status(s => StatusText.Connections(s, info.Mtu, info.Encryption), ct));
        app.MapGet("/status/peers", (CancellationToken ct) => Status(StatusText.Peers, ct));
        app.MapGet("/status/targets", (CancellationToken ct) => Status(StatusText.Targets, ct));
    }

    private static async Task<IResult> Change(HttpRequest request, bool allowReplace, Func<bool> isReady, int defaultPort,
        Func<IReadOnlyList<PeerAddress>, bool, CancellationToken, Task> apply, CancellationToken ct)
    {
        if (!isReady())
        {
            return Results.Text(NotReady, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        (ChangeRequest? change, string? error) = await ReadAsync(request, allowReplace, defaultPort, ct).ConfigureAwait(false);
        if (change is null)
        {
            return Results.Text(error + "\n", statusCode: StatusCodes.Status400BadRequest);
        }
        try
        {
            await apply(change.Peers, change.Replace, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return Results.Ok();
    }

    private sealed record ChangeRequest(IReadOnlyList<PeerAddress> Peers, bool Replace);

    /// <summary>
    /// The <c>peer=</c> and <c>replace=</c> fields from the query string and a form body, as
    /// Weave read them (Go's <c>r.Form</c> merges both). Peers without a port get the mesh port.
    /// </summary>
    private static async Task<(ChangeRequest? Change, string? Error)> ReadAsync(HttpRequest request, bool allowReplace, int defaultPort, CancellationToken ct)
    {
        var peerValues = new List<string>();
        var replaceValues = new List<string>();
        void Collect(IEnumerable<KeyValuePair<string, StringValues>> fields)
        {
            foreach ((string key, StringValues values) in fields)
            {
                if (key == "peer")
                {
                    peerValues.AddRange(values.Select(v => v ?? ""));
                }
                else if (key == "replace")
                {
                    replaceValues.AddRange(values.Select(v => v ?? ""));
                }
            }
        }
        Collect(request.Query);
        if (request.HasFormContentType)
        {
            try
            {
                Collect(await request.ReadFormAsync(s_formLimits, ct).ConfigureAwait(false));
            }
            catch (InvalidDataException e)
            {
                return (null, $"unreadable form: {e.Message}");
            }
            catch (IOException e)
            {
                return (null, $"unreadable form: {e.Message}");
            }
        }
        else if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            return (null, $"expected a form (application/x-www-form-urlencoded), got '{request.ContentType}'");
        }

        bool replace = false;
        if (replaceValues.Count > 0 && !allowReplace)
        {
            return (null, "replace= is only for /connect");
        }
        foreach (string value in replaceValues)
        {
            if (!bool.TryParse(value, out replace))
            {
                return (null, $"invalid replace '{Shorten(value)}': expected true or false");
            }
        }
        if (peerValues.Count > MaxPeersPerRequest)
        {
            return (null, $"too many peers: {peerValues.Count} (at most {MaxPeersPerRequest} per request)");
        }
        var peers = new List<PeerAddress>(peerValues.Count);
        foreach (string value in peerValues)
        {
            if (!PeerAddress.TryParse(value, defaultPort, out PeerAddress? peer, out string error))
            {
                return (null, Shorten(error, 300));
            }
            if (!peers.Contains(peer))
            {
                peers.Add(peer);
            }
        }
        if (peers.Count == 0 && !replace)
        {
            return (null, "no peer= given");
        }
        return (new ChangeRequest(peers, replace), null);
    }

    /// <summary>Echoed input stays short and on one line.</summary>
    internal static string Shorten(string text, int max = 64)
    {
        string oneLine = string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));
        return oneLine.Length <= max ? oneLine : oneLine[..max] + "...";
    }
}
