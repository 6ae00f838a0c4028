using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weave.Gossip.Mesh;
using Weave.Router.Mesh;

namespace Weave.Router.Api;

/// <summary>
/// The local HTTP API (127.0.0.1:6784 by default) with Weave Net's paths. Text answers; 503
/// until the router is ready. Later issues add IPAM, connect/forget and report.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app) => _app = app;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    public static async Task<ApiServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        Func<CancellationToken, Task<MeshStatus>> getStatus, CancellationToken ct)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        // The router logs for itself; the host's own console messages would break the rule that a
        // failed start prints exactly one line.
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(endPoint));
        WebApplication app = builder.Build();

        async Task<IResult> Status(Func<MeshStatus, string> render, CancellationToken requestAborted)
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await getStatus(requestAborted).ConfigureAwait(false);
            return Results.Text(render(status));
        }

        app.MapGet("/status", (CancellationToken c) => Status(s => StatusText.Summary(s, info), c));
        app.MapGet("/status/connections", (CancellationToken c) => Status(StatusText.Connections, c));
        app.MapGet("/status/peers", (CancellationToken c) => Status(StatusText.Peers, c));
        app.MapGet("/status/targets", (CancellationToken c) => Status(StatusText.Targets, c));
        app.MapGet("/status/ipam", () => Results.Text(
            "IP address management is not available in this version of the router\n", statusCode: StatusCodes.Status404NotFound));
        await app.StartAsync(ct).ConfigureAwait(false);
        return new ApiServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
