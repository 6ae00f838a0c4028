using System.Net;
using System.Net.Sockets;

namespace Weave.Router.Cli;

/// <summary>The CLI's way to the local router's HTTP API.</summary>
public sealed class RouterClient : IDisposable
{
    public const string AddressVariable = "WEAVE_HTTP_ADDR";
    private readonly HttpClient _http;
    private readonly string _address;
    private readonly string _server;
    private readonly string _hint;

    /// <param name="server">Who answers there, for error messages (the router, or the policy controller).</param>
    /// <param name="hint">What to check when nothing answers.</param>
    public RouterClient(string address, string server = "the router", string hint = "is `weave launch` running?")
    {
        _address = address;
        _server = server;
        _hint = hint;
        _http = new HttpClient { BaseAddress = new Uri("http://" + address), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary><c>--http-addr</c>, else <c>$WEAVE_HTTP_ADDR</c>, else 127.0.0.1:6784.</summary>
    public static string ResolveAddress(string? flag) =>
        !string.IsNullOrEmpty(flag) ? flag
        : Environment.GetEnvironmentVariable(AddressVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : "127.0.0.1:6784";

    /// <summary>GETs a text resource; a router that is down or answers an error becomes a <see cref="CliException"/>.</summary>
    public Task<string> GetTextAsync(string path, CancellationToken ct) =>
        SendAsync(path, () => new HttpRequestMessage(HttpMethod.Get, path), ct);

    /// <summary>POSTs a form (<c>application/x-www-form-urlencoded</c>); errors as for <see cref="GetTextAsync"/>.</summary>
    public Task<string> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken ct)
    {
        KeyValuePair<string, string>[] form = [.. fields];
        return SendAsync(path, () => new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) }, ct);
    }

    /// <summary>DELETEs a resource; errors as for <see cref="GetTextAsync"/>.</summary>
    public Task<string> DeleteAsync(string path, CancellationToken ct) =>
        SendAsync(path, () => new HttpRequestMessage(HttpMethod.Delete, path), ct);

    private async Task<string> SendAsync(string path, Func<HttpRequestMessage> request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using HttpRequestMessage message = request();
            response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException se)
        {
            string why = se.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : se.Message;
            throw new CliException($"cannot reach {_server} at {_address} ({why}): {_hint}");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {_server} at {_address}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"{_server} at {_address} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NoContent))
            {
                throw new CliException($"{OneLine(body)} (HTTP {(int)response.StatusCode} from {_address}{path})");
            }
            return body;
        }
    }

    /// <summary>An error body as one line: the CLI's failures are always exactly one line.</summary>
    private static string OneLine(string body) =>
        string.Join(' ', body.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public void Dispose() => _http.Dispose();
}

/// <summary>A CLI command failed; the message is the one line shown.</summary>
public sealed class CliException : Exception
{
    public CliException(string message) : base(message)
    {
    }

    public CliException()
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
