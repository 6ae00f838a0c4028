using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>What a peer can make a <see cref="TcpMeshConnection"/> hold, over real loopback TCP without a password.</summary>
public sealed class MeshConnectionBoundsTests
{
    private static readonly PeerIdentity s_a = new(new PeerName(0xb0a000000001), "host-a", 11);
    private static readonly PeerIdentity s_b = new(new PeerName(0xb0a000000002), "host-b", 22);

    private static CancellationToken TestToken => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task PeerThatNeverReads_DroppedOnceTheBacklogPassesTheBound()
    {
        (TcpMeshConnection a, TcpMeshConnection b) = await ConnectAsync();
        a.Start((c, _, body) => c.FrameHandled(body.Length), _ => { }, TestToken);
        // b's loops never start: nothing reads its socket, as a peer that stalls.
        byte[] body = new byte[WireFormat.MaxFrameBytes / 2];
        for (int i = 0; i < 200 && !a.Completion.IsCompleted; i++)
        {
            a.Send((byte)FrameTag.Gossip, body);
            Assert.True(a.SendBacklogBytes <= TcpMeshConnection.MaxSendBacklogBytes + body.Length);
            await Task.Delay(5);
        }

        string reason = await a.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("not reading", reason, StringComparison.Ordinal);
        b.Discard();
    }

    [Fact]
    public async Task FramesNotYetHandled_ReceiveLoopWaits_ThenGoesOn()
    {
        (TcpMeshConnection a, TcpMeshConnection b) = await ConnectAsync();
        var handed = Channel.CreateUnbounded<(TcpMeshConnection, int)>();
        b.Start((c, _, body) => handed.Writer.TryWrite((c, body.Length)), _ => { }, TestToken);
        a.Start((c, _, body) => c.FrameHandled(body.Length), _ => { }, TestToken);
        byte[] body = new byte[64 * 1024];
        for (int i = 0; i < 20; i++)
        {
            a.Send((byte)FrameTag.Gossip, body);
        }

        // 256 kB handed over and not handled: the fifth frame takes it past the budget, then nothing more comes.
        await Task.Delay(500);
        Assert.Equal(5, handed.Reader.Count);
        for (int handledCount = 0; handledCount < 20; handledCount++)
        {
            (TcpMeshConnection c, int length) = await handed.Reader.ReadAsync(TestToken);
            c.FrameHandled(length);
        }
        a.Close("done");
        b.Close("done");
    }

    private static async Task<(TcpMeshConnection A, TcpMeshConnection B)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dialled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connect = dialled.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        await connect;
        Task<TcpMeshConnection> atA = new ConnectionSetup(s_a, 6784, TimeProvider.System, new Random(1))
            .RunAsync(dialled, outbound: true, "127.0.0.1:6783", TestToken);
        Task<TcpMeshConnection> atB = new ConnectionSetup(s_b, 6784, TimeProvider.System, new Random(2))
            .RunAsync(accepted, outbound: false, "127.0.0.1:40000", TestToken);
        return (await atA, await atB);
    }
}
