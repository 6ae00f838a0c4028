using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Mesh;

namespace Weave.Router.Api;

/// <summary>
/// The local HTTP API (127.0.0.1:6784 by default) with Weave Net's paths. Text answers; 503
/// until the router is ready. The mesh's endpoints are in <see cref="MeshEndpoints"/>; later
/// issues add IPAM and report.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app) => _app = app;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    public static async Task<ApiServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        IMeshControl mesh, CancellationToken ct)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        // The router logs for itself; the host's own console messages would break the rule that a
        // failed start prints exactly one line.
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(endPoint));
        WebApplication app = builder.Build();

        app.MapMeshEndpoints(mesh, isReady, info);
        app.MapGet("/status/ipam", () => Results.Text(
            "IP address management is not available in this version of the router\n", statusCode: StatusCodes.Status404NotFound));
        await app.StartAsync(ct).ConfigureAwait(false);
        return new ApiServer(app);
    }

    /// <summary>
    /// Transitional: the status-only form RouterHost used before it hosted a <c>MeshNode</c>;
    /// <c>POST /connect</c> and <c>/forget</c> answer 503 with it. Remove once RouterHost passes
    /// an <see cref="IMeshControl"/>.
    /// </summary>
    public static Task<ApiServer> StartAsync(IPEndPoint endPoint, RouterInfo info, Func<bool> isReady,
        Func<CancellationToken, Task<MeshStatus>> getStatus, CancellationToken ct) =>
        StartAsync(endPoint, info, isReady, new StatusOnly(getStatus), ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class StatusOnly(Func<CancellationToken, Task<MeshStatus>> getStatus) : IMeshControl
    {
        private const string NotYet = "this router cannot change its targets yet";

        public Task<MeshStatus> StatusAsync(CancellationToken ct) => getStatus(ct);

        public Task ConnectAsync(IReadOnlyList<PeerAddress> peers, bool replace, CancellationToken ct) =>
            throw new InvalidOperationException(NotYet);

        public Task ForgetAsync(IReadOnlyList<PeerAddress> peers, CancellationToken ct) =>
            throw new InvalidOperationException(NotYet);
    }
}
