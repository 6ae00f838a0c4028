using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.Cni.RouterApi;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class RawHttpClientTests
{
    private static HttpReply Parse(string response) => RawHttpClient.Parse(Encoding.ASCII.GetBytes(response));

    [Fact]
    public void Parse_ContentLength_TakesThatManyBytes()
    {
        HttpReply reply = Parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n10.32.0.5/12");
        Assert.Equal(200, reply.Status);
        Assert.Equal("10.32.0.5/12", reply.Body);
    }

    [Fact]
    public void Parse_Chunked_JoinsTheChunks()
    {
        HttpReply reply = Parse("HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n6\r\nrouter\r\nA;x=y\r\n is starti\r\n3\r\nng\n\r\n0\r\n\r\n");
        Assert.Equal(503, reply.Status);
        Assert.Equal("router is starting\n", reply.Body);
        Assert.Equal("router is starting", reply.Reason);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n")]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nshort")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nab")]
    public void Parse_Malformed_IsAnIOException(string response) => Assert.Throws<IOException>(() => Parse(response));

    [Fact]
    public async Task Send_TalksHttp11OverASocket()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        Task<string> server = Task.Run(async () =>
        {
            using Socket connection = await listener.AcceptAsync();
            byte[] buffer = new byte[4096];
            var request = new StringBuilder();
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await connection.ReceiveAsync(buffer);
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            await connection.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n10.32.0.9/12"));
            connection.Shutdown(SocketShutdown.Both);
            return request.ToString();
        });

        HttpReply reply = new RawHttpClient(endpoint, TimeSpan.FromSeconds(10)).Send("POST", "/ip/abc?K8S_POD_NAME=web");

        Assert.Equal("10.32.0.9/12", reply.Body);
        string sent = await server;
        Assert.StartsWith("POST /ip/abc?K8S_POD_NAME=web HTTP/1.1\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", sent, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_ListenerNotAccepting_TimesOut()
    {
        // With a backlog of 0 one connection fills the accept queue, and the kernel drops further
        // SYNs: an unbounded connect would retry for minutes.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        using var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 5000 };
        queued.Connect(endpoint);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        SocketException e = Assert.Throws<SocketException>(() => new RawHttpClient(endpoint, TimeSpan.FromMilliseconds(300)).Send("GET", "/status/ipam"));

        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Send_NothingListening_IsASocketException()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)probe.LocalEndPoint!; // bound, not listening: connections are refused
        SocketException e = Assert.Throws<SocketException>(() => new RawHttpClient(endpoint, TimeSpan.FromSeconds(5)).Send("GET", "/status/ipam"));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }
}
