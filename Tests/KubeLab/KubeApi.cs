using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using Weave.Linux;

namespace Weave.KubeLab;

/// <summary>
/// HTTP to the control plane from this process, for the polls that would otherwise start a
/// kubectl several times a second: every connection's socket is made inside the control-plane
/// namespace (a socket keeps the namespace it was born in), so 127.0.0.1 is etcd's and
/// 10.200.0.1 is reachable without any route in the root namespace. TLS trusts only the run's CA.
/// </summary>
internal sealed class KubeApi : IDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _client;

    public KubeApi(string netns, KubePki pki, Uri server)
    {
        Server = server;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => ConnectInAsync(netns, context.DnsEndPoint, token),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [pki.Admin],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => pki.IsIssuedByCa(certificate),
            },
            // Stopping and starting the API server must not leave us on a dead connection.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
        };
        _client = new HttpClient(handler) { Timeout = s_requestTimeout };
    }

    public Uri Server { get; }

    /// <summary>True when GET <paramref name="url"/> answers 200 (etcd's /health, the API server's /readyz).</summary>
    public bool IsOk(Uri url)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using HttpResponseMessage response = _client.Send(request);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false; // timed out
        }
    }

    /// <summary>GETs an API path (e.g. <c>/api/v1/nodes</c>) as the admin; throws with the body unless 200.</summary>
    public JsonDocument GetJson(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server, path));
        using HttpResponseMessage response = _client.Send(request);
        using var reader = new StreamReader(response.Content.ReadAsStream());
        string body = reader.ReadToEnd();
        return response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(body)
            : throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {response.StatusCode}: {body}", null, response.StatusCode);
    }

    public void Dispose() => _client.Dispose();

    private static async ValueTask<Stream> ConnectInAsync(string netns, DnsEndPoint endPoint, CancellationToken token)
    {
        Socket socket = NetNs.Run(netns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(IPAddress.Parse(endPoint.Host), endPoint.Port, token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
