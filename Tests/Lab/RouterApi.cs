using System.Net;
using System.Net.Sockets;

namespace Weave.Lab;

/// <summary>
/// HTTP to one host's router API (127.0.0.1:6784 inside the host's namespace), without starting
/// a process per request: each connection's socket is created inside the namespace (and keeps
/// it), then used from here; connections are pooled, so concurrent requests are real concurrent
/// clients. A request that cannot reach the router answers status 0 with the reason.
/// </summary>
public sealed class RouterApi : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(45);

    private readonly HttpClient _client;

    /// <summary>The router's metrics port (<c>--metrics-addr</c>'s default).</summary>
    public const int MetricsPort = 6782;

    /// <param name="connections">Most pooled connections, i.e. concurrent requests on the wire.</param>
    /// <param name="port">The port on 127.0.0.1: the API's 6784, or <see cref="MetricsPort"/>.</param>
    public RouterApi(LabHost host, int connections = int.MaxValue, int port = 6784)
    {
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = async (_, ct) =>
            {
                Socket socket = host.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = RequestTimeout };
    }

    public LabHost Host { get; }

    public async Task<Reply> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(request);
            return new Reply(method, path, (int)response.StatusCode, await response.Content.ReadAsStringAsync())
            {
                ContentType = response.Content.Headers.ContentType?.ToString(),
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return new Reply(method, path, 0, e.Message);
        }
    }

    public Reply Send(HttpMethod method, string path) => SendAsync(method, path).GetAwaiter().GetResult();

    public Reply Get(string path) => Send(HttpMethod.Get, path);

    public Reply Post(string path) => Send(HttpMethod.Post, path);

    public Reply Delete(string path) => Send(HttpMethod.Delete, path);

    public void Dispose() => _client.Dispose();

    /// <summary>One answer: status code (0 when the router could not be reached) and body.</summary>
    public sealed record Reply(HttpMethod Method, string Path, int Status, string Body)
    {
        public bool Ok => Status is >= 200 and < 300;

        public string? ContentType { get; init; }

        public override string ToString() => $"{Method} {Path} -> {Status}: {Body.TrimEnd()}";
    }
}
