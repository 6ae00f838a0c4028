using System.Net;
using Microsoft.AspNetCore.Builder;
using Weave.Router.DataPlane;

namespace Weave.Router.Api;

/// <summary>
/// <c>--status-addr</c> (weave-kube's <c>WEAVE_STATUS_ADDR</c>): status, report and metrics, and
/// nothing that changes state, on a listener an operator may open wider than loopback. Off unless
/// asked for: the report shows the whole topology.
/// </summary>
public sealed class StatusServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StatusServer(WebApplication app) => _app = app;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    public static async Task<StatusServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        IMeshControl mesh, IIpamControl ipam, Func<DataPlaneReport?> dataPlane, CancellationToken ct)
    {
        WebApplication app = LocalWebApp.Create(endPoint);
        app.MapMeshStatusEndpoints(mesh, isReady, info, async ct => StatusText.IpamSummary(await ipam.StatusAsync(ct).ConfigureAwait(false)));
        IpamEndpoints.MapIpamStatus(app, ipam, isReady);
        ApiServer.MapReport(app, info, isReady, mesh, ipam, dataPlane);
        MetricsServer.MapMetrics(app, info, isReady, mesh, ipam, dataPlane);
        await app.StartAsync(ct).ConfigureAwait(false);
        return new StatusServer(app);
    }

    public ValueTask DisposeAsync() => LocalWebApp.StopAsync(_app);
}
