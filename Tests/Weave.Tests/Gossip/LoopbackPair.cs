using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Weave.Tests.Gossip;

/// <summary>Two ends of a real TCP connection on 127.0.0.1, each as a stream and a pipe reader.</summary>
internal sealed class LoopbackPair : IAsyncDisposable
{
    private LoopbackPair(LoopbackEnd dialer, LoopbackEnd acceptor)
    {
        Dialer = dialer;
        Acceptor = acceptor;
    }

    public LoopbackEnd Dialer { get; }
    public LoopbackEnd Acceptor { get; }

    public static async Task<LoopbackPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Task connect = client.ConnectAsync(listener.LocalEndPoint!);
            Socket server = await listener.AcceptAsync();
            await connect;
            return new LoopbackPair(new LoopbackEnd(client), new LoopbackEnd(server));
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Dialer.DisposeAsync();
        await Acceptor.DisposeAsync();
    }
}

internal sealed class LoopbackEnd : IAsyncDisposable
{
    public LoopbackEnd(Socket socket)
    {
        Socket = socket;
        socket.NoDelay = true;
        Stream = new NetworkStream(socket, ownsSocket: true);
        Reader = PipeReader.Create(Stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public Socket Socket { get; }
    public NetworkStream Stream { get; }
    public PipeReader Reader { get; }

    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync();
        await Stream.DisposeAsync();
    }
}
