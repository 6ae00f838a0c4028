using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weave.Cni.RouterApi;

/// <summary>
/// One HTTP/1.1 request per connection over a plain TCP socket (<c>Connection: close</c>), read to
/// the end. The plugin makes a handful of requests per run to a router on loopback; HttpClient
/// would add about 1.7 ms of start-up and double the binary for nothing. Answers are bounded in
/// size and parsed defensively: a malformed one is an <see cref="IOException"/>.
/// </summary>
public sealed class RawHttpClient(IPEndPoint endpoint, TimeSpan timeout)
{
    /// <summary>Largest answer accepted (GET /ip lists every allocation of the router).</summary>
    public const int MaxResponseBytes = 16 * 1024 * 1024;

    public IPEndPoint Endpoint { get; } = endpoint;

    /// <summary>Sends the request and returns the answer.</summary>
    /// <exception cref="SocketException">When the router cannot be reached or does not answer in time.</exception>
    /// <exception cref="IOException">When the answer is not HTTP/1.x.</exception>
    public HttpReply Send(string method, string pathAndQuery)
    {
        using var socket = new Socket(Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendTimeout = (int)timeout.TotalMilliseconds,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
        };
        Connect(socket);
        CniTrace.Mark("router connected");
        string request = string.Create(CultureInfo.InvariantCulture,
            $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {Endpoint}\r\nContent-Length: 0\r\nConnection: close\r\nUser-Agent: weave-net\r\n\r\n");
        socket.Send(Encoding.ASCII.GetBytes(request));
        byte[] response = ReadToEnd(socket);
        CniTrace.Mark("router answered " + method);
        return Parse(response);
    }

    /// <summary>Connects within the timeout. Linux bounds a blocking connect(2) by SO_SNDTIMEO (set
    /// above), so this waits out neither the kernel's minutes of SYN retries when the router does
    /// not answer nor needs an asynchronous connect, whose socket event thread and thread pool cost
    /// milliseconds of the plugin's start; the timeout shows as EINPROGRESS.</summary>
    private void Connect(Socket socket)
    {
        try
        {
            socket.Connect(Endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.InProgress or SocketError.WouldBlock)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    private static byte[] ReadToEnd(Socket socket)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            using var response = new MemoryStream();
            while (true)
            {
                int read = socket.Receive(buffer);
                if (read == 0)
                {
                    return response.ToArray();
                }
                if (response.Length + read > MaxResponseBytes)
                {
                    throw new IOException($"the router's answer is larger than {MaxResponseBytes} bytes");
                }
                response.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a complete HTTP/1.x response: status line, headers, then a body delimited by
    /// Content-Length, chunked encoding, or the end of the connection.</summary>
    internal static HttpReply Parse(ReadOnlySpan<byte> response)
    {
        int headerEnd = response.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            throw new IOException("the router's answer has no complete HTTP header");
        }
        string[] lines = Encoding.ASCII.GetString(response[..headerEnd]).Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) ||
            !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 100 or > 599)
        {
            throw new IOException($"the router's answer does not start with an HTTP/1.x status line: '{Spec.CniEnvironment.Shorten(lines[0])}'");
        }
        bool chunked = false;
        int? contentLength = null;
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                    ? length
                    : throw new IOException($"the router's answer has an invalid Content-Length '{Spec.CniEnvironment.Shorten(value)}'");
            }
        }
        ReadOnlySpan<byte> body = response[(headerEnd + 4)..];
        if (chunked)
        {
            body = Dechunk(body);
        }
        else if (contentLength is int length)
        {
            body = length <= body.Length ? body[..length] : throw new IOException("the router's answer ended before its Content-Length");
        }
        return new HttpReply(code, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream();
        while (true)
        {
            int lineEnd = body.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                throw new IOException("the router's chunked answer is truncated");
            }
            string sizeText = Encoding.ASCII.GetString(body[..lineEnd]).Split(';', 2)[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int size) || size < 0)
            {
                throw new IOException($"the router's chunked answer has an invalid chunk size '{Spec.CniEnvironment.Shorten(sizeText)}'");
            }
            body = body[(lineEnd + 2)..];
            if (size == 0)
            {
                return output.ToArray();
            }
            if (size > body.Length - 2)
            {
                throw new IOException("the router's chunked answer is truncated");
            }
            output.Write(body[..size]);
            body = body[(size + 2)..];
        }
    }
}
