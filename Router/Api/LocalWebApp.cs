using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Weave.Router.Api;

/// <summary>The slim Kestrel application each of the router's HTTP listeners (API, metrics) is built on.</summary>
internal static class LocalWebApp
{
    public static WebApplication Create(IPEndPoint endPoint)
    {
        // The empty builder, not the slim one: the slim builder reads appsettings*.json from the
        // working directory (which could add Kestrel endpoints) and watches that directory with
        // inotify for the router's whole life, two threads waking on every file written there.
        // Nor does it add console logging: the router logs for itself, and a failed start must
        // print exactly one line.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(endPoint));
        return builder.Build();
    }

    public static async ValueTask StopAsync(WebApplication app)
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
