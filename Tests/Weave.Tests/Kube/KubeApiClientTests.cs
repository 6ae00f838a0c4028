using System.Net;
using System.Text;
using Weave.Kube.Api;
using Xunit;

namespace Weave.Tests.Kube;

/// <summary>The client against answers a test writes (the real API server is in the add-on's end-to-end tests).</summary>
public sealed class KubeApiClientTests : IDisposable
{
    private readonly string _token = Path.GetTempFileName();

    public KubeApiClientTests() => File.WriteAllText(_token, "token-1\n");

    public void Dispose() => File.Delete(_token);

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string Path, string? Auth, string? Body, string? ContentType)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            string? body = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
            Seen.Add((request.Method, request.RequestUri!.PathAndQuery, request.Headers.Authorization?.ToString(), body, request.Content?.Headers.ContentType?.MediaType));
            return answer(request);
        }
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private KubeApiClient Client(Answering handler) => new(new Uri("https://10.96.0.1:443"), _token, handler, "weave/test");

    private const string NodeJson = """{"metadata":{"name":"node1","resourceVersion":"7"},"status":{"addresses":[{"type":"InternalIP","address":"10.200.0.11"},{"type":"Hostname","address":"node1"}]}}""";

    [Fact]
    public async Task ListNodes_ParsesNamesAddressesAndVersion_WithTheTokenReadAgainEachTime()
    {
        var handler = new Answering(_ => Json(HttpStatusCode.OK, $$"""{"kind":"NodeList","metadata":{"resourceVersion":"42"},"items":[{{NodeJson}}]}"""));
        using KubeApiClient client = Client(handler);

        KubeNodeList list = await client.ListNodesAsync(CancellationToken.None);
        File.WriteAllText(_token, "token-2");
        _ = await client.ListNodesAsync(CancellationToken.None);

        Assert.Equal("42", list.Metadata.ResourceVersion);
        KubeNode node = Assert.Single(list.Items);
        Assert.Equal("node1", node.Name);
        Assert.Equal(new NodeAddress("InternalIP", "10.200.0.11"), node.Status!.Addresses![0]);
        Assert.Equal("/api/v1/nodes", handler.Seen[0].Path);
        Assert.Equal("Bearer token-1", handler.Seen[0].Auth);
        Assert.Equal("Bearer token-2", handler.Seen[1].Auth);
    }

    [Fact]
    public async Task Forbidden_SaysWhichVerbAndWhatTheServerSaid()
    {
        const string status = """{"kind":"Status","code":403,"reason":"Forbidden","message":"nodes is forbidden: User \"system:serviceaccount:kube-system:weave-net\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"}""";
        using KubeApiClient client = Client(new Answering(_ => Json(HttpStatusCode.Forbidden, status)));

        KubeApiException e = await Assert.ThrowsAsync<KubeApiException>(() => client.ListNodesAsync(CancellationToken.None));

        Assert.True(e.IsForbidden);
        Assert.Equal("list nodes", e.What);
        Assert.StartsWith("list nodes: nodes is forbidden: User \"system:serviceaccount:kube-system:weave-net\" cannot list resource \"nodes\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_IsUnavailableAndNamesTheServer()
    {
        using KubeApiClient client = Client(new Answering(_ => throw new HttpRequestException("Connection refused (10.96.0.1:443)")));
        KubeApiException e = await Assert.ThrowsAsync<KubeApiException>(() => client.GetVersionAsync(CancellationToken.None));
        Assert.True(e.IsUnavailable);
        Assert.Contains("cannot reach the Kubernetes API at https://10.96.0.1:443: Connection refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateConfigMap_NamesItsVersion_AndAConflictIsToldApart()
    {
        var handler = new Answering(_ => Json(HttpStatusCode.Conflict, """{"kind":"Status","code":409,"reason":"Conflict","message":"the object has been modified"}"""));
        using KubeApiClient client = Client(handler);
        var map = new KubeConfigMap { Metadata = new ObjectMeta { Name = "weave-net", Namespace = "kube-system", ResourceVersion = "9", Annotations = new() { ["a"] = "b" } } };

        KubeApiException e = await Assert.ThrowsAsync<KubeApiException>(() => client.UpdateConfigMapAsync(map, CancellationToken.None));

        Assert.True(e.IsConflict);
        Assert.False(e.IsAlreadyExists);
        Assert.Equal(HttpMethod.Put, handler.Seen[0].Method);
        Assert.Equal("/api/v1/namespaces/kube-system/configmaps/weave-net", handler.Seen[0].Path);
        Assert.Contains("\"resourceVersion\":\"9\"", handler.Seen[0].Body, StringComparison.Ordinal);
        Assert.Contains("\"annotations\":{\"a\":\"b\"}", handler.Seen[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetConfigMap_Missing_IsNull()
    {
        using KubeApiClient client = Client(new Answering(_ => Json(HttpStatusCode.NotFound, """{"kind":"Status","code":404,"reason":"NotFound","message":"configmaps \"weave-net\" not found"}""")));
        Assert.Null(await client.GetConfigMapAsync("kube-system", "weave-net", CancellationToken.None));
    }

    [Fact]
    public async Task GetConfigMap_AnsweredWithSomethingElse_IsTheServersError()
    {
        using KubeApiClient client = Client(new Answering(_ => Json(HttpStatusCode.OK, """{"kind":"NodeList","metadata":{"resourceVersion":"4"},"items":[]}""")));
        KubeApiException e = await Assert.ThrowsAsync<KubeApiException>(() => client.GetConfigMapAsync("kube-system", "weave-net", CancellationToken.None));
        Assert.Contains("answered with a NodeList", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchNodeCondition_IsAStrategicMergeOfTheConditionOnly()
    {
        var handler = new Answering(_ => Json(HttpStatusCode.OK, NodeJson));
        using KubeApiClient client = Client(handler);

        await client.PatchNodeConditionAsync("node1", new NodeCondition { Type = "NetworkUnavailable", Status = "False", Reason = "WeaveIsUp" }, CancellationToken.None);

        Assert.Equal(HttpMethod.Patch, handler.Seen[0].Method);
        Assert.Equal("/api/v1/nodes/node1/status", handler.Seen[0].Path);
        Assert.Equal("application/strategic-merge-patch+json", handler.Seen[0].ContentType);
        Assert.Equal("""{"status":{"conditions":[{"type":"NetworkUnavailable","status":"False","reason":"WeaveIsUp"}]}}""", handler.Seen[0].Body);
    }

    [Fact]
    public async Task AnswerOverTheBound_IsRefused()
    {
        var big = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[KubeApiClient.MaxObjectBytes + 1]) };
        using KubeApiClient client = Client(new Answering(_ => big));
        KubeApiException e = await Assert.ThrowsAsync<KubeApiException>(() => client.ListNodesAsync(CancellationToken.None));
        Assert.Contains("bound", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchNodes_ReadsEventsLineByLine_SkipsBookmarks_AndEndsWithTheStream()
    {
        string stream = string.Join('\n',
            $$"""{"type":"ADDED","object":{{NodeJson}}}""",
            """{"type":"BOOKMARK","object":{"kind":"Node","metadata":{"resourceVersion":"8"}}}""",
            "",
            $$"""{"type":"DELETED","object":{{NodeJson}}}""");
        var handler = new Answering(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(stream) });
        using KubeApiClient client = Client(handler);

        var events = new List<NodeEvent>();
        await foreach (NodeEvent e in client.WatchNodesAsync("7", CancellationToken.None))
        {
            events.Add(e);
        }

        Assert.Equal([NodeEventKind.Added, NodeEventKind.Deleted], events.Select(e => e.Kind));
        Assert.Contains("watch=true", handler.Seen[0].Path, StringComparison.Ordinal);
        Assert.Contains("resourceVersion=7", handler.Seen[0].Path, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseNodeEvent_ErrorGone_ThrowsWithStatus410()
    {
        KubeApiException e = Assert.Throws<KubeApiException>(() => KubeApiClient.ParseNodeEvent(
            """{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 7 (9)"}}"""u8, "watch nodes"));
        Assert.Equal(HttpStatusCode.Gone, e.Status);
        Assert.Contains("too old resource version", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"ADDED"}""")]
    [InlineData("""{"object":{}}""")]
    public void ParseNodeEvent_Garbage_IsTheClientsOwnError(string line) =>
        Assert.Throws<KubeApiException>(() => KubeApiClient.ParseNodeEvent(Encoding.UTF8.GetBytes(line), "watch nodes"));

    [Fact]
    public void InClusterConfig_OutsideAPod_SaysSo()
    {
        Assert.False(InClusterConfig.TryLoad(_ => null, "/nonexistent", out _, out string error));
        Assert.Contains("KUBERNETES_SERVICE_HOST", error, StringComparison.Ordinal);
        Assert.False(InClusterConfig.TryLoad(n => n == "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : "443", "/nonexistent", out _, out error));
        Assert.Contains("/nonexistent/token is missing", error, StringComparison.Ordinal);
        Assert.False(InClusterConfig.TryLoad(n => n == "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : "http", "/nonexistent", out _, out error));
        Assert.Contains("not a port number", error, StringComparison.Ordinal);
    }
}
