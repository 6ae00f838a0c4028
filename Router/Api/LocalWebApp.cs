using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Weave.Router.Api;

/// <summary>The slim Kestrel application each of the router's HTTP listeners (API, metrics) is built on.</summary>
internal static class LocalWebApp
{
    public static WebApplication Create(IPEndPoint endPoint)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        // The router logs for itself; the host's own console messages would break the rule that a
        // failed start prints exactly one line.
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(endPoint));
        return builder.Build();
    }

    public static async ValueTask StopAsync(WebApplication app)
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
