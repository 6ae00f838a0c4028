using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Weave.Router.Api;
using Xunit;

namespace Weave.Tests.Router;

/// <summary><c>POST /stop</c> (<c>weave stop</c>) in an in-memory server: who may stop the router, and that it stops only after answering.</summary>
public sealed class StopEndpointTests : IAsyncLifetime
{
    private int _stops;
    private WebApplication _app = null!;
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        ApiServer.MapStop(_app, () => Interlocked.Increment(ref _stops));
        await _app.StartAsync();
        _server = _app.GetTestServer();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(int Status, string Body)> PostStopAsync(IPAddress remote, IPAddress local, string? origin = null)
    {
        HttpContext context = await _server.SendAsync(c =>
        {
            c.Request.Method = "POST";
            c.Request.Path = "/stop";
            c.Connection.RemoteIpAddress = remote;
            c.Connection.LocalIpAddress = local;
            if (origin is not null)
            {
                c.Request.Headers.Origin = origin;
            }
        });
        using var reader = new StreamReader(context.Response.Body);
        return (context.Response.StatusCode, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task FromLoopback_Answers_ThenStops()
    {
        (int status, string body) = await PostStopAsync(IPAddress.Loopback, IPAddress.Loopback);

        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Equal("stopping\n", body);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _stops) == 1, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task FromThisHostsOwnAddress_Stops()
    {
        IPAddress host = IPAddress.Parse("192.168.1.5");

        Assert.Equal(StatusCodes.Status200OK, (await PostStopAsync(host, host)).Status);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _stops) == 1, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task FromAnotherHost_Is403_AndTheRouterRuns()
    {
        (int status, string body) = await PostStopAsync(IPAddress.Parse("192.168.1.9"), IPAddress.Parse("192.168.1.5"));

        Assert.Equal(StatusCodes.Status403Forbidden, status);
        Assert.Contains("only a client on this host", body, StringComparison.Ordinal);
        Assert.Contains("192.168.1.9", body, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref _stops));
    }

    [Fact]
    public async Task FromAWebPage_Is403_AndTheRouterRuns()
    {
        (int status, string body) = await PostStopAsync(IPAddress.Loopback, IPAddress.Loopback, origin: "https://evil.example");

        Assert.Equal(StatusCodes.Status403Forbidden, status);
        Assert.Contains("evil.example", body, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref _stops));
    }
}
