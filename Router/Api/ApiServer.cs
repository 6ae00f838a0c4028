using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Clusters;
using Weave.Router.DataPlane;

namespace Weave.Router.Api;

/// <summary>
/// The local HTTP API (127.0.0.1:6784 by default) with Weave Net's paths. Text answers; 503
/// until the router is ready. The mesh's endpoints are in <see cref="MeshEndpoints"/>, IP
/// allocation's in <see cref="IpamEndpoints"/>.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app) => _app = app;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    /// <param name="bridge">The bridge's addresses, for <c>weave expose</c> and <c>weave hide</c>.</param>
    /// <param name="requestStop">Stops the router (<c>weave stop</c>), called once the answer has been sent.</param>
    /// <param name="dataPlane">The data plane's state for <c>/report</c>, or null while there is none.</param>
    public static async Task<ApiServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        IMeshControl mesh, IIpamControl ipam, IBridgeAddresses bridge, Action requestStop, Func<DataPlaneReport?> dataPlane, CancellationToken ct)
    {
        WebApplication app = LocalWebApp.Create(endPoint);

        app.MapMeshEndpoints(mesh, isReady, info, async ct => StatusText.IpamSummary(await ipam.StatusAsync(ct).ConfigureAwait(false)));
        app.MapIpamEndpoints(ipam, isReady, bridge);
        MapReport(app, info, isReady, mesh, ipam, dataPlane);
        MapHealth(app, isReady, mesh);
        MapStop(app, requestStop);
        await app.StartAsync(ct).ConfigureAwait(false);
        return new ApiServer(app);
    }

    /// <summary><c>GET /report</c>, here and on the status listener.</summary>
    internal static void MapReport(WebApplication app, RouterInfo info, Func<bool> isReady, IMeshControl mesh, IIpamControl ipam, Func<DataPlaneReport?> dataPlane) =>
        app.MapGet("/report", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await mesh.StatusAsync(ct).ConfigureAwait(false);
            IpamStatus ipamStatus = await ipam.StatusAsync(ct).ConfigureAwait(false);
            ClusterView clusters = await mesh.ClustersAsync(ct).ConfigureAwait(false);
            return Results.Text(ReportJson.Render(info, status, ipamStatus, dataPlane(), clusters), "application/json");
        });

    /// <summary>How long the mesh loop may take to answer before <c>/healthz</c> calls the router stuck.</summary>
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>GET /healthz</c>, for a liveness probe: 200 while the router starts (waiting for the
    /// Kubernetes API or for IP allocation consensus is not being stuck), 200 once running as long
    /// as the mesh loop answers, 503 when it does not within <see cref="HealthTimeout"/>.
    /// </summary>
    internal static void MapHealth(WebApplication app, Func<bool> isReady, IMeshControl mesh) =>
        app.MapGet("/healthz", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text("starting\n");
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(HealthTimeout);
            try
            {
                _ = await mesh.StatusAsync(timeout.Token).ConfigureAwait(false);
                return Results.Text("ok\n");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return Results.Text($"the mesh loop did not answer within {HealthTimeout.TotalSeconds:0} s\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            catch (InvalidOperationException)
            {
                return Results.Text("stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

    /// <summary>
    /// <c>POST /stop</c> (<c>weave stop</c>): the router shuts down as on SIGTERM, after answering.
    /// Only here, on the local API, never on the status or metrics listener; only from this host
    /// (a loopback client, or one that connected from the very address it connected to, which the
    /// kernel chooses only for a local client), since <c>--http-addr</c> may listen wider; and never
    /// from a web page: a browser adds <c>Origin</c> to the cross-site POST a page can send to
    /// 127.0.0.1 without asking, so a request with one is refused.
    /// </summary>
    internal static void MapStop(WebApplication app, Action requestStop) =>
        app.MapPost("/stop", (HttpContext context) =>
        {
            if (context.Request.Headers.Origin.Count > 0)
            {
                return Results.Text($"refused: a web page (Origin {MeshEndpoints.Shorten(context.Request.Headers.Origin.ToString())}) may not stop the router\n",
                    statusCode: StatusCodes.Status403Forbidden);
            }
            ConnectionInfo connection = context.Connection;
            if (connection.RemoteIpAddress is not { } remote || !(IPAddress.IsLoopback(remote) || remote.Equals(connection.LocalIpAddress)))
            {
                return Results.Text($"refused: only a client on this host may stop the router (this request came from {connection.RemoteIpAddress?.ToString() ?? "an unknown address"})\n",
                    statusCode: StatusCodes.Status403Forbidden);
            }
            context.Response.OnCompleted(() =>
            {
                requestStop();
                return Task.CompletedTask;
            });
            return Results.Text("stopping\n");
        });

    public ValueTask DisposeAsync() => LocalWebApp.StopAsync(_app);
}
