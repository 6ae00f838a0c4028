using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Weave.Ipam;
using Weave.Router.Api;
using Weave.Router.Cli;
using Weave.Tests.Ipam;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// The IPAM endpoints in an in-memory server over a real allocator (seeded alone with a /26, so
/// ready at once), called through a lock as the mesh loop would serialise the calls.
/// </summary>
public sealed class IpamEndpointsTests : IAsyncLifetime
{
    private readonly IpamTestHost _host = new();
    private readonly LockedIpam _ipam;
    private readonly ListBridge _bridge = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public IpamEndpointsTests() => _ipam = new LockedIpam(_host.Allocator);

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        _app.MapIpamEndpoints(_ipam, () => true, _bridge);
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using HttpResponseMessage response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Allocate_IsIdempotent_LowestFree_AndLookedUp()
    {
        (HttpStatusCode status, string first) = await SendAsync(HttpMethod.Post, "/ip/c1");
        (_, string again) = await SendAsync(HttpMethod.Post, "/ip/c1");
        (_, string second) = await SendAsync(HttpMethod.Post, "/ip/c2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("10.32.0.1/26", first);
        Assert.Equal(first, again);
        Assert.Equal("10.32.0.2/26", second);
        Assert.Equal((HttpStatusCode.OK, "10.32.0.1/26\n"), await SendAsync(HttpMethod.Get, "/ip/c1"));
    }

    [Fact]
    public async Task Release_FreesTheAddress_ThenLookupIs404()
    {
        await SendAsync(HttpMethod.Post, "/ip/c1");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/ip/c1")).Status);
        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Get, "/ip/c1");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("c1", body, StringComparison.Ordinal);
        Assert.Equal("10.32.0.1/26", (await SendAsync(HttpMethod.Post, "/ip/c3")).Body);
    }

    [Fact]
    public async Task Claim_GivenAddress_ThenAllocationSkipsIt()
    {
        Assert.Equal((HttpStatusCode.OK, "10.32.0.1/26"), await SendAsync(HttpMethod.Put, "/ip/claimed/10.32.0.1/26"));
        Assert.Equal("10.32.0.2/26", (await SendAsync(HttpMethod.Post, "/ip/other")).Body);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Put, "/ip/thief/10.32.0.1/26")).Status);
    }

    [Theory]
    [InlineData("PUT", "/ip/c1/10.32.0.300/26", "not an IPv4 address")]
    [InlineData("PUT", "/ip/c1/10.32.0.1/33", "prefix length")]
    [InlineData("POST", "/ip/c1/10.32.0.1/26", "10.32.0.0/26")]
    [InlineData("DELETE", "/ip/c1/fe80::1", "not an IPv4 address")]
    [InlineData("POST", "/expose/x/24", "not an IPv4 address")]
    public async Task BadInput_Is400_NamingTheProblem(string method, string path, string expected)
    {
        (HttpStatusCode status, string body) = await SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllocateInSubnet_OutsideTheRange_IsRefused()
    {
        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Post, "/ip/c1/10.99.0.0/24");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("10.99.0.0/24", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_IsWeavesJson_WithPodMetadata_AndWeavePsPrintsIt()
    {
        await SendAsync(HttpMethod.Post, "/ip/c1?K8S_POD_NAMESPACE=default&K8S_POD_NAME=web-0");
        await SendAsync(HttpMethod.Post, "/ip/c2");

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Get, "/ip");

        Assert.Equal(HttpStatusCode.OK, status);
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement[] owned = [.. json.RootElement.GetProperty("owned").EnumerateArray()];
        Assert.Equal(["c1", "c2"], owned.Select(o => o.GetProperty("containerid").GetString()));
        Assert.Equal("10.32.0.1/26", owned[0].GetProperty("addrs")[0].GetString());
        Assert.Equal("web-0", owned[0].GetProperty("metadata").GetProperty("K8S_POD_NAME").GetString());
        Assert.Equal("c1 - 10.32.0.1/26 default/web-0\nc2 - 10.32.0.2/26\n", PsText.From(body));
    }

    [Fact]
    public async Task Expose_ClaimsForWeaveExpose_AndPutsTheAddressOnTheBridge()
    {
        Assert.Equal((HttpStatusCode.OK, "10.32.0.9/26"), await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26"));

        Assert.Equal([(IPAddress.Parse("10.32.0.9"), 26)], _bridge.List());
        Assert.Equal("10.32.0.9/26\n", (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Body);
    }

    [Fact]
    public async Task Expose_BridgeFails_ReleasesTheClaim()
    {
        _bridge.Fails = true;

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("bridge weave does not exist", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Status);
    }

    [Fact]
    public async Task List_WithTheMacThePluginRecorded_WeavePsShowsIt_AndTheBridgesForWeaveExpose()
    {
        await SendAsync(HttpMethod.Post, "/ip/c1?MAC=0a:58:0a:20:00:05&K8S_POD_NAMESPACE=default&K8S_POD_NAME=web-0");
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");

        string body = (await SendAsync(HttpMethod.Get, "/ip")).Body;

        Assert.Equal("c1 0a:58:0a:20:00:05 10.32.0.1/26 default/web-0\nweave:expose 7a:00:00:00:00:01 10.32.0.9/26\n",
            PsText.From(body, "7a:00:00:00:00:01"));
        Assert.Equal("c1 0a:58:0a:20:00:05 10.32.0.1/26 default/web-0\nweave:expose - 10.32.0.9/26\n", PsText.From(body));
    }

    [Theory]
    [InlineData("0A:58:0A:20:00:05")]
    [InlineData("0a:58:0a:20:00")]
    [InlineData("0a-58-0a-20-00-05")]
    [InlineData("x")]
    public async Task Allocate_WithAMalformedMac_Is400(string mac)
    {
        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Post, "/ip/c1?MAC=" + Uri.EscapeDataString(mac));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("invalid MAC", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/ip/a%0Ab")]
    [InlineData("/ip/a%20b")]
    [InlineData("/ip/a%1Bb")]
    public async Task Allocate_IdWithLineBreakSpaceOrControl_Is400_SoWeavePsStaysOneLinePerId(string path)
    {
        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Post, path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("printable characters without spaces", body, StringComparison.Ordinal);
        Assert.Equal("", PsText.From((await SendAsync(HttpMethod.Get, "/ip")).Body));
    }

    [Theory]
    [InlineData("PUT", "/ip/x/1.2.3.4/12", "outside the range")]
    [InlineData("PUT", "/ip/x/10.32.0.5/12", "prefix length must be the range's")]
    [InlineData("POST", "/expose/8.8.8.8/12", "outside the range")]
    [InlineData("POST", "/expose/10.32.0.9/12", "prefix length must be the range's")]
    public async Task ClaimOrExpose_OutsideTheRange_OrWithAWiderPrefix_Is400_AndTheBridgeUntouched(string method, string path, string expected)
    {
        (HttpStatusCode status, string body) = await SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body, StringComparison.Ordinal);
        Assert.Empty(_bridge.List());
        Assert.Equal("", PsText.From((await SendAsync(HttpMethod.Get, "/ip")).Body));
    }

    [Fact]
    public async Task Expose_WithoutAnAddress_AllocatesOneForWeaveExpose_AndAgainGivesTheSame()
    {
        Assert.Equal((HttpStatusCode.OK, "10.32.0.1/26"), await SendAsync(HttpMethod.Post, "/expose"));
        Assert.Equal((HttpStatusCode.OK, "10.32.0.1/26"), await SendAsync(HttpMethod.Post, "/expose"));

        Assert.Equal([(IPAddress.Parse("10.32.0.1"), 26)], _bridge.List());
        Assert.Equal("10.32.0.2/26", (await SendAsync(HttpMethod.Post, "/ip/pod")).Body);
    }

    [Fact]
    public async Task ReleaseWeaveExpose_WhileOnTheBridge_Is409_AndTheAddressStaysTheHosts()
    {
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Delete, "/ip/weave:expose");
        (HttpStatusCode one, _) = await SendAsync(HttpMethod.Delete, "/ip/weave:expose/10.32.0.9");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(HttpStatusCode.Conflict, one);
        Assert.Contains("weave hide 10.32.0.9", body, StringComparison.Ordinal);
        Assert.Equal("10.32.0.9/26\n", (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Body);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Put, "/ip/x/10.32.0.9/26")).Status);
        Assert.Equal([(IPAddress.Parse("10.32.0.9"), 26)], _bridge.List());
    }

    [Fact]
    public async Task Hide_TakesTheAddressOffTheBridge_ThenReleasesIt()
    {
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");

        Assert.Equal((HttpStatusCode.OK, "10.32.0.9/26\n"), await SendAsync(HttpMethod.Delete, "/expose/10.32.0.9"));

        Assert.Empty(_bridge.List());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Status);
        Assert.Equal((HttpStatusCode.OK, "10.32.0.9/26"), await SendAsync(HttpMethod.Put, "/ip/x/10.32.0.9/26"));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, "/expose/10.32.0.9")).Status);
    }

    [Fact]
    public async Task Hide_WithoutAnAddress_TakesEveryExposedAddressOff()
    {
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.10/26");

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Delete, "/expose");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("10.32.0.9/26\n10.32.0.10/26\n", body);
        Assert.Empty(_bridge.List());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Status);
    }

    [Fact]
    public async Task Hide_WrongPrefixLength_Is400_AndNothingChanges()
    {
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Delete, "/expose/10.32.0.9/24");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("exposed as 10.32.0.9/26", body, StringComparison.Ordinal);
        Assert.Equal([(IPAddress.Parse("10.32.0.9"), 26)], _bridge.List());
    }

    [Fact]
    public async Task Hide_BridgeFails_KeepsTheAddressAllocated()
    {
        await SendAsync(HttpMethod.Post, "/expose/10.32.0.9/26");
        _bridge.Fails = true;

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Delete, "/expose/10.32.0.9");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("cannot take 10.32.0.9 off bridge weave", body, StringComparison.Ordinal);
        Assert.Equal("10.32.0.9/26\n", (await SendAsync(HttpMethod.Get, "/ip/weave:expose")).Body);
    }

    [Fact]
    public async Task StatusIpam_ListsOurShare()
    {
        await SendAsync(HttpMethod.Post, "/ip/c1");

        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Get, "/status/ipam");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"{$"{IpamTestHost.Me}(me)",-37}      64 IPs (100.0% of total) (1 active)\n", body);
    }

    [Fact]
    public async Task RemovePeer_Unknown_Is404()
    {
        (HttpStatusCode status, string body) = await SendAsync(HttpMethod.Delete, "/peer/nobody");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("nobody", body, StringComparison.Ordinal);
    }

    /// <summary>The mesh loop's serialisation, in miniature.</summary>
    private sealed class LockedIpam(Allocator allocator) : IIpamControl
    {
        private readonly Lock _loop = new();

        private Task<T> OnLoop<T>(Func<T> work)
        {
            lock (_loop)
            {
                return Task.FromResult(work());
            }
        }

        public async Task<AllocationResult> AllocateAsync(string id, Cidr? subnet, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            await await OnLoop(() => allocator.Allocate(id, subnet, metadata));

        public async Task<AllocationResult> ClaimAsync(string id, IPAddress address, int prefixLength, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            await await OnLoop(() => allocator.Claim(id, address, prefixLength, metadata));

        public Task<IReadOnlyList<IpamAllocation>> LookupAsync(string id, CancellationToken ct) => OnLoop(() => allocator.Lookup(id));

        public async Task<AllocationResult> ReleaseAsync(string id, IPAddress? address, CancellationToken ct) =>
            await await OnLoop(() => address is null ? allocator.Release(id) : allocator.Release(id, address));

        public Task<IReadOnlyList<IpamAllocation>> ListAsync(CancellationToken ct) => OnLoop(allocator.List);

        public async Task<RemovePeerResult> RemovePeerAsync(string nameOrNickname, CancellationToken ct) => await await OnLoop(() => allocator.RemovePeer(nameOrNickname));

        public async Task<RemovePeerResult> HandOffAsync(CancellationToken ct) => await await OnLoop(allocator.HandOff);

        public Task<IpamStatus> StatusAsync(CancellationToken ct) => OnLoop(allocator.Status);
    }
}
