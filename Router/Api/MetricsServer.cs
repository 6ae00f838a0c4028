using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Clusters;
using Weave.Router.DataPlane;

namespace Weave.Router.Api;

/// <summary>
/// Prometheus' <c>GET /metrics</c> on its own listener (127.0.0.1:6782 by default). A separate
/// application rather than a second port of the API's, so none of the API's paths (which change
/// state) answer on a port that is often opened to a scraper, as with Weave's --metrics-addr.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app) => _app = app;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    public static async Task<MetricsServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        IMeshControl mesh, IIpamControl ipam, Func<DataPlaneReport?> dataPlane, CancellationToken ct)
    {
        WebApplication app = LocalWebApp.Create(endPoint);
        MapMetrics(app, info, isReady, mesh, ipam, dataPlane);
        await app.StartAsync(ct).ConfigureAwait(false);
        return new MetricsServer(app);
    }

    /// <summary><c>GET /metrics</c>, here and on the status listener.</summary>
    internal static void MapMetrics(WebApplication app, RouterInfo info, Func<bool> isReady, IMeshControl mesh, IIpamControl ipam, Func<DataPlaneReport?> dataPlane) =>
        app.MapGet("/metrics", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await mesh.StatusAsync(ct).ConfigureAwait(false);
            IpamStatus ipamStatus = await ipam.StatusAsync(ct).ConfigureAwait(false);
            ClusterView clusters = await mesh.ClustersAsync(ct).ConfigureAwait(false);
            string text = MetricsText.Render(RouterMetrics.From(info, status, ipamStatus, dataPlane(), ProcessStats.Read(), clusters));
            return Results.Text(text, MetricsText.ContentType);
        });

    public ValueTask DisposeAsync() => LocalWebApp.StopAsync(_app);
}
