using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Api;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The mesh's HTTP endpoints in an in-memory server, against a fake mesh.</summary>
public sealed class MeshEndpointsTests : IAsyncLifetime
{
    private readonly FakeMeshControl _mesh = new();
    private bool _ready = true;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        _app.MapMeshEndpoints(_mesh, () => _ready, new RouterInfo("0.1.0", "1..1") { MeshPort = 7000 });
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, params (string Key, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
        using HttpResponseMessage response = await _client.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using HttpResponseMessage response = await _client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Connect_PeersRepeated_PassedInOrder_DefaultPortIsMeshPort()
    {
        (HttpStatusCode status, string body) = await PostAsync("/connect", ("peer", "10.0.0.2"), ("peer", "host-b:7100"), ("peer", "[fd00::2]"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("", body);
        (IReadOnlyList<PeerAddress> peers, bool replace) = Assert.Single(_mesh.Connects);
        Assert.Equal([new PeerAddress("10.0.0.2", 7000), new PeerAddress("host-b", 7100), new PeerAddress("fd00::2", 7000)], peers);
        Assert.False(replace);
    }

    [Fact]
    public async Task Connect_ReplaceTrue_Passed()
    {
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/connect", ("peer", "10.0.0.2:6783"), ("replace", "true"))).Status);
        Assert.True(Assert.Single(_mesh.Connects).Replace);
    }

    [Fact]
    public async Task Connect_ReplaceWithoutPeers_ClearsTargets()
    {
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/connect", ("replace", "true"))).Status);
        (IReadOnlyList<PeerAddress> peers, bool replace) = Assert.Single(_mesh.Connects);
        Assert.Empty(peers);
        Assert.True(replace);
    }

    [Fact]
    public async Task Connect_DuplicatePeers_PassedOnce()
    {
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/connect", ("peer", "10.0.0.2"), ("peer", "10.0.0.2:7000"))).Status);
        Assert.Equal([new PeerAddress("10.0.0.2", 7000)], Assert.Single(_mesh.Connects).Peers);
    }

    [Fact]
    public async Task Connect_PeerInQueryString_Accepted_AsWeaveDid()
    {
        using HttpResponseMessage response = await _client.PostAsync("/connect?peer=10.0.0.9", content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new PeerAddress("10.0.0.9", 7000)], Assert.Single(_mesh.Connects).Peers);
    }

    [Theory]
    [InlineData("not_a_host:99999")]
    [InlineData("10.0.0.1:0")]
    [InlineData("")]
    [InlineData("[fd00::1")]
    public async Task Connect_BadPeer_400NamingIt_MeshUntouched(string peer)
    {
        (HttpStatusCode status, string body) = await PostAsync("/connect", ("peer", "10.0.0.2"), ("peer", peer));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(peer.Length == 0 ? "empty peer address" : $"'{peer}'", body, StringComparison.Ordinal);
        Assert.Empty(_mesh.Connects);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    public async Task Connect_BadReplace_400NamingIt(string replace)
    {
        (HttpStatusCode status, string body) = await PostAsync("/connect", ("peer", "10.0.0.2"), ("replace", replace));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"invalid replace '{replace}'", body, StringComparison.Ordinal);
        Assert.Empty(_mesh.Connects);
    }

    [Fact]
    public async Task Connect_NoPeer_400()
    {
        (HttpStatusCode status, string body) = await PostAsync("/connect");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no peer=", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_TooManyPeers_400()
    {
        (string, string)[] fields = [.. Enumerable.Range(0, MeshEndpoints.MaxPeersPerRequest + 1).Select(i => ("peer", $"10.0.{i / 256}.{i % 256}"))];
        (HttpStatusCode status, string body) = await PostAsync("/connect", fields);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Empty(_mesh.Connects);
        Assert.DoesNotContain('\n', body.TrimEnd());
    }

    [Fact]
    public async Task Connect_NotAForm_400()
    {
        using var content = new StringContent("{\"peer\":\"10.0.0.2\"}", System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _client.PostAsync("/connect", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("application/json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_HugeValue_400_ShortReason()
    {
        (HttpStatusCode status, string body) = await PostAsync("/connect", ("peer", new string('a', 100_000)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.Length < 400, body);
    }

    [Fact]
    public async Task Forget_Peers_Passed()
    {
        (HttpStatusCode status, _) = await PostAsync("/forget", ("peer", "10.0.0.2"), ("peer", "10.0.0.3:6783"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([new PeerAddress("10.0.0.2", 7000), new PeerAddress("10.0.0.3", 6783)], Assert.Single(_mesh.Forgets));
    }

    [Fact]
    public async Task Forget_NoPeer_400()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/forget")).Status);
        Assert.Empty(_mesh.Forgets);
    }

    [Fact]
    public async Task Forget_Replace_400()
    {
        (HttpStatusCode status, string body) = await PostAsync("/forget", ("peer", "10.0.0.2"), ("replace", "true"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("replace", body, StringComparison.Ordinal);
        Assert.Empty(_mesh.Forgets);
    }

    [Fact]
    public async Task Forget_BadPeer_400NamingIt()
    {
        (HttpStatusCode status, string body) = await PostAsync("/forget", ("peer", "bad_host"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'bad_host'", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_MeshRefuses_503WithItsReason()
    {
        _mesh.Failure = new InvalidOperationException("router is stopping");
        (HttpStatusCode status, string body) = await PostAsync("/connect", ("peer", "10.0.0.2"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("router is stopping\n", body);
    }

    [Theory]
    [InlineData("/status")]
    [InlineData("/status/connections")]
    [InlineData("/status/peers")]
    [InlineData("/status/targets")]
    public async Task Status_NotReady_503(string path)
    {
        _ready = false;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(path)).Status);
    }

    [Theory]
    [InlineData("/connect")]
    [InlineData("/forget")]
    public async Task Change_NotReady_503_MeshUntouched(string path)
    {
        _ready = false;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PostAsync(path, ("peer", "10.0.0.2"))).Status);
        Assert.Empty(_mesh.Connects);
        Assert.Empty(_mesh.Forgets);
    }

    [Fact]
    public async Task StatusTargets_OnePerLine()
    {
        _mesh.Status = _mesh.Status with { Targets = ["10.0.0.2:6783", "host-b:7100"] };
        (HttpStatusCode status, string body) = await GetAsync("/status/targets");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("10.0.0.2:6783\nhost-b:7100\n", body);
    }

    [Fact]
    public async Task Status_Summary_RendersWithRouterInfo()
    {
        _mesh.Status = _mesh.Status with
        {
            Connections = [new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "00:00:00:00:00:02(b)")],
            Peers =
            [
                new PeerRow("00:00:00:00:00:01(a)", [new PeerLink(true, "10.0.0.2:6783", "00:00:00:00:00:02(b)", true)]),
                new PeerRow("00:00:00:00:00:02(b)", [new PeerLink(false, "10.0.0.1:40000", "00:00:00:00:00:01(a)", true)]),
            ],
        };
        (HttpStatusCode status, string body) = await GetAsync("/status");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("        Version: 0.1.0\n", body, StringComparison.Ordinal);
        Assert.Contains("  PeerDiscovery: enabled\n", body, StringComparison.Ordinal);
        Assert.Contains("          Peers: 2 (with 2 established connections)\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusConnections_RowLayout()
    {
        _mesh.Status = _mesh.Status with
        {
            Connections = [new ConnectionRow(true, "10.0.0.2:6783", ConnectionStates.Established, "00:00:00:00:00:02(b)")],
        };
        Assert.Equal("-> 10.0.0.2:6783         established 00:00:00:00:00:02(b)\n", (await GetAsync("/status/connections")).Body);
    }
}
