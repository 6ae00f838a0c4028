using System.Net;
using System.Net.Sockets;

namespace Weave.Router.Cli;

/// <summary>The CLI's way to the local router's HTTP API.</summary>
public sealed class RouterClient : IDisposable
{
    public const string AddressVariable = "WEAVE_HTTP_ADDR";
    private readonly HttpClient _http;
    private readonly string _address;

    public RouterClient(string address)
    {
        _address = address;
        _http = new HttpClient { BaseAddress = new Uri("http://" + address), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary><c>--http-addr</c>, else <c>$WEAVE_HTTP_ADDR</c>, else 127.0.0.1:6784.</summary>
    public static string ResolveAddress(string? flag) =>
        !string.IsNullOrEmpty(flag) ? flag
        : Environment.GetEnvironmentVariable(AddressVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : "127.0.0.1:6784";

    /// <summary>GETs a text resource; a router that is down or answers an error becomes a <see cref="CliException"/>.</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(path, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException se)
        {
            string why = se.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : se.Message;
            throw new CliException($"cannot reach the router at {_address} ({why}): is `weave launch` running?");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the router at {_address}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the router at {_address} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new CliException($"{body.Trim()} (HTTP {(int)response.StatusCode} from {_address}{path})");
            }
            return body;
        }
    }

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
