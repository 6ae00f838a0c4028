using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Gossip.Mesh;
using Weave.Ipam;
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
    /// <param name="dataPlane">The data plane's state for <c>/report</c>, or null while there is none.</param>
    public static async Task<ApiServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        IMeshControl mesh, IIpamControl ipam, Action<IPAddress, int> addToBridge, Func<DataPlaneReport?> dataPlane, CancellationToken ct)
    {
        WebApplication app = LocalWebApp.Create(endPoint);

        app.MapMeshEndpoints(mesh, isReady, info, async ct => StatusText.IpamSummary(await ipam.StatusAsync(ct).ConfigureAwait(false)));
        app.MapIpamEndpoints(ipam, isReady, addToBridge);
        app.MapGet("/report", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            MeshStatus status = await mesh.StatusAsync(ct).ConfigureAwait(false);
            IpamStatus ipamStatus = await ipam.StatusAsync(ct).ConfigureAwait(false);
            return Results.Text(ReportJson.Render(info, status, ipamStatus, dataPlane()), "application/json");
        });
        await app.StartAsync(ct).ConfigureAwait(false);
        return new ApiServer(app);
    }

    public ValueTask DisposeAsync() => LocalWebApp.StopAsync(_app);
}
