using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Weave.Kube.Api;

/// <summary>
/// <see cref="IKubeApi"/> over HTTPS with the pod's service account: the server's certificate is
/// checked against the cluster's CA (and its name as usual), the bearer token is read again for
/// every request. Plain HttpClient and source-generated JSON rather than KubernetesClient: its
/// Native AOT build has no watch, and it would add some 13 MB to the router for six calls.
/// </summary>
public sealed partial class KubeApiClient : IKubeApi, IKubeResources, IDisposable
{
    /// <summary>How long one request may take, a watch's first answer included.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The server ends a watch after this many seconds; the caller lists or watches again.</summary>
    public const int WatchSeconds = 300;

    /// <summary>Largest answer or watch event read (a Node object is a few KiB).</summary>
    public const int MaxObjectBytes = 8 * 1024 * 1024;

    /// <summary>Objects per page of a list: 500 pods are about 3 MB of JSON, well under <see cref="MaxObjectBytes"/>.</summary>
    public const int ListPageSize = 500;

    private readonly HttpClient _http;
    private readonly string _tokenPath;

    public KubeApiClient(InClusterConfig config, string userAgent)
        : this(config.Server, config.TokenPath, CreateHandler(config.CaPath), userAgent)
    {
    }

    /// <summary>Over any handler: the unit tests answer requests themselves.</summary>
    public KubeApiClient(Uri server, string tokenPath, HttpMessageHandler handler, string userAgent)
    {
        ArgumentNullException.ThrowIfNull(server);
        _tokenPath = tokenPath;
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        Server = $"{server.Scheme}://{server.Host}:{server.Port}";
    }

    public string Server { get; }

    private static SocketsHttpHandler CreateHandler(string caPath)
    {
        X509Certificate2Collection roots = [];
        roots.ImportFromPemFile(caPath);
        return new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedByCluster(certificate, errors, roots),
            },
        };
    }

    /// <summary>Valid for the name we asked for, and chained to the cluster's CA (not the machine's roots).</summary>
    private static bool TrustedByCluster(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public Task<KubeVersion> GetVersionAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "/version", null, KubeJson.Default.KubeVersion, "get version", ct);

    public Task<KubeListPage> ListPageAsync(KubeResource resource, string? continueToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string path = string.Create(CultureInfo.InvariantCulture, $"{resource.Path}?limit={ListPageSize}")
            + (continueToken is null ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
        return SendAsync(HttpMethod.Get, path, null, KubeJson.Default.KubeListPage, "list " + resource.Name, ct);
    }

    public Task<KubeNodeList> ListNodesAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "/api/v1/nodes", null, KubeJson.Default.KubeNodeList, "list nodes", ct);

    public async Task PatchNodeConditionAsync(string node, NodeCondition condition, CancellationToken ct)
    {
        var patch = new NodeStatusPatch(new NodeStatusPatch.Body([condition]));
        HttpContent body = JsonContent(patch, KubeJson.Default.NodeStatusPatch, "application/strategic-merge-patch+json");
        _ = await SendAsync(HttpMethod.Patch, $"/api/v1/nodes/{Uri.EscapeDataString(node)}/status", body, KubeJson.Default.KubeNode,
            $"patch nodes/status {node}", ct).ConfigureAwait(false);
    }

    public async Task<KubeConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken ct)
    {
        string what = $"get configmaps {ns}/{name}";
        try
        {
            return Expect(await SendAsync(HttpMethod.Get, ConfigMapPath(ns, name), null, KubeJson.Default.KubeConfigMap, what, ct).ConfigureAwait(false),
                ns, name, what);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<KubeConfigMap> CreateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(configMap);
        string ns = configMap.Metadata.Namespace ?? throw new ArgumentException("a ConfigMap needs a namespace", nameof(configMap));
        string name = configMap.Metadata.Name ?? throw new ArgumentException("a ConfigMap needs a name", nameof(configMap));
        string what = $"create configmaps {ns}/{name}";
        return Expect(await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps",
            JsonContent(configMap, KubeJson.Default.KubeConfigMap, "application/json"), KubeJson.Default.KubeConfigMap, what, ct).ConfigureAwait(false),
            ns, name, what);
    }

    public async Task<KubeConfigMap> UpdateConfigMapAsync(KubeConfigMap configMap, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(configMap);
        string ns = configMap.Metadata.Namespace ?? throw new ArgumentException("a ConfigMap needs a namespace", nameof(configMap));
        string name = configMap.Metadata.Name ?? throw new ArgumentException("a ConfigMap needs a name", nameof(configMap));
        string what = $"update configmaps {ns}/{name}";
        return Expect(await SendAsync(HttpMethod.Put, ConfigMapPath(ns, name), JsonContent(configMap, KubeJson.Default.KubeConfigMap, "application/json"),
            KubeJson.Default.KubeConfigMap, what, ct).ConfigureAwait(false), ns, name, what);
    }

    /// <summary>The answer must be the object asked about: anything else is the server's error, not a reason to write elsewhere.</summary>
    private static KubeConfigMap Expect(KubeConfigMap answer, string ns, string name, string what) =>
        answer.Kind == "ConfigMap" && answer.Metadata.Namespace == ns && answer.Metadata.Name == name
            ? answer
            : throw new KubeApiException(what, null, null,
                $"{what}: the server answered with a {answer.Kind} named {answer.Metadata.Namespace}/{answer.Metadata.Name}, not the ConfigMap asked for");

    private static string ConfigMapPath(string ns, string name) =>
        $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps/{Uri.EscapeDataString(name)}";

    private static ByteArrayContent JsonContent<T>(T value, JsonTypeInfo<T> type, string mediaType)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> type, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        HttpResponseMessage response;
        byte[] bytes;
        try
        {
            response = await StartAsync(method, path, body, what, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw Unreachable(what, e);
        }
        using (response)
        {
            try
            {
                bytes = await ReadBoundedAsync(response.Content, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException ||
                (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                throw Unreachable(what, e);
            }
        }
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new KubeApiException(what, response.StatusCode, null, $"{what}: the server's answer is not the JSON expected: {e.Message}", e);
        }
    }

    /// <summary>Sends the request and returns a 2xx response with its body unread; anything else throws.</summary>
    private async Task<HttpResponseMessage> StartAsync(HttpMethod method, string path, HttpContent? body, string what, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(_tokenPath, ct).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeApiException(what, null, null, $"{what}: cannot read the service account token {_tokenPath}: {e.Message}", e);
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw Unreachable(what, e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await RefusalAsync(response, what, ct).ConfigureAwait(false);
        }
    }

    private static async Task<KubeApiException> RefusalAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        KubeStatus? status = null;
        try
        {
            byte[] bytes = await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false);
            status = JsonSerializer.Deserialize(bytes, KubeJson.Default.KubeStatus);
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException or InvalidDataException)
        {
            // No Status in the body: the HTTP status alone says why.
        }
        string why = status?.Message is { Length: > 0 } message ? message : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        return new KubeApiException(what, response.StatusCode, status?.Reason, $"{what}: {why}");
    }

    private KubeApiException Unreachable(string what, Exception e) =>
        new(what, null, null, $"{what}: cannot reach the Kubernetes API at {Server}: {Innermost(e)}", e);

    private static string Innermost(Exception e)
    {
        if (e is OperationCanceledException)
        {
            return $"no answer within {RequestTimeout.TotalSeconds:0} s";
        }
        var messages = new StringBuilder(e.Message);
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!messages.ToString().Contains(inner.Message, StringComparison.Ordinal))
            {
                messages.Append(": ").Append(inner.Message);
            }
        }
        return messages.ToString();
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        if (content.Headers.ContentLength > MaxObjectBytes)
        {
            throw new InvalidDataException($"an answer of {content.Headers.ContentLength} bytes is over the {MaxObjectBytes}-byte bound");
        }
        Stream stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxObjectBytes)
                {
                    throw new InvalidDataException($"an answer is over the {MaxObjectBytes}-byte bound");
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
    }

    public void Dispose() => _http.Dispose();
}
