using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>Two <see cref="TcpMeshConnection"/>s with a password over real loopback TCP: frames and heartbeats sealed end to end.</summary>
public sealed class SealedConnectionTests
{
    private static readonly PeerIdentity s_a = new(new PeerName(0x5e1a00000001), "host-a-nick", 11);
    private static readonly PeerIdentity s_b = new(new PeerName(0x5e1a00000002), "host-b-nick", 22);

    /// <summary>Argon2id once for the class: it costs a tenth of a second.</summary>
    private static readonly Lazy<HardenedPassword> s_password = new(() => HardenedPassword.Derive("mesh password"));

    private readonly CryptoCounters _counters = new();

    private ControlSecurity Security => new(s_password.Value, _counters);

    private Task<TcpMeshConnection> DialAsync(Socket dialled) =>
        new ConnectionSetup(s_a, 6784, TimeProvider.System, new Random(1), Security).RunAsync(dialled, outbound: true, "127.0.0.1:6783", TestToken);

    private static CancellationToken TestToken => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static async Task<(Socket Dialled, Socket Accepted)> SocketPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connect = client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        await connect;
        return (client, server);
    }

    [Fact]
    public async Task Connections_WithTheSamePassword_CarrySealedFramesBothWays()
    {
        (Socket dialled, Socket accepted) = await SocketPairAsync();
        Task<TcpMeshConnection> atA = DialAsync(dialled);
        Task<TcpMeshConnection> atB = new ConnectionSetup(s_b, 6784, TimeProvider.System, new Random(2), Security)
            .RunAsync(accepted, outbound: false, "127.0.0.1:40000", TestToken);
        TcpMeshConnection a = await atA;
        TcpMeshConnection b = await atB;
        Assert.True(a.Encrypted);
        Assert.True(b.Encrypted);
        Assert.Equal("host-b-nick", a.Remote.NickName);
        Assert.NotNull(a.DataKeys);

        var receivedAtB = Channel.CreateUnbounded<(byte, byte[])>();
        var receivedAtA = Channel.CreateUnbounded<(byte, byte[])>();
        a.Start((_, tag, body) => receivedAtA.Writer.TryWrite((tag, body)), _ => { }, TestToken);
        b.Start((_, tag, body) => receivedAtB.Writer.TryWrite((tag, body)), _ => { }, TestToken);
        for (int i = 0; i < 100; i++)
        {
            a.Send((byte)FrameTag.Gossip, new byte[] { (byte)i, 1, 2, 3 });
            b.Send((byte)FrameTag.TopologyUpdate, new byte[] { (byte)i });
        }
        for (int i = 0; i < 100; i++)
        {
            (byte tag, byte[] body) = await receivedAtB.Reader.ReadAsync(TestToken);
            Assert.Equal((byte)FrameTag.Gossip, tag);
            Assert.Equal(new byte[] { (byte)i, 1, 2, 3 }, body);
            (tag, body) = await receivedAtA.Reader.ReadAsync(TestToken);
            Assert.Equal((byte)FrameTag.TopologyUpdate, tag);
            Assert.Equal(new byte[] { (byte)i }, body);
        }
        a.Close("test over");
        Assert.Equal("test over", await a.Completion.WaitAsync(TestToken));
        await b.Completion.WaitAsync(TestToken);
        Assert.Equal(0, _counters.AuthenticationFailures);
    }

    private static SubnetTrust Trust(bool loopback) =>
        new([IPNetwork.Parse(loopback ? "127.0.0.0/8" : "10.0.0.0/8")]);

    private async Task<(TcpMeshConnection A, TcpMeshConnection B)> ConnectAsync(bool aTrustsLoopback, bool bTrustsLoopback, bool password = true)
    {
        (Socket dialled, Socket accepted) = await SocketPairAsync();
        ControlSecurity? security = password ? Security : null;
        Task<TcpMeshConnection> atA = new ConnectionSetup(s_a, 6784, TimeProvider.System, new Random(1), security, Trust(aTrustsLoopback))
            .RunAsync(dialled, outbound: true, "127.0.0.1:6783", TestToken);
        Task<TcpMeshConnection> atB = new ConnectionSetup(s_b, 6784, TimeProvider.System, new Random(2), security, Trust(bTrustsLoopback))
            .RunAsync(accepted, outbound: false, "127.0.0.1:40000", TestToken);
        return (await atA, await atB);
    }

    /// <summary>Each end judges the other's loopback address by its own --trusted-subnets and says so in its intro.</summary>
    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, true)]
    public async Task TrustedSubnets_DataUnsealedOnlyWhenBothEndsTrustTheOther_ControlSealedAlways(bool aTrusts, bool bTrusts, bool dataSealed)
    {
        (TcpMeshConnection a, TcpMeshConnection b) = await ConnectAsync(aTrusts, bTrusts);

        Assert.Equal(bTrusts, a.Intro.Trusted);
        Assert.Equal(aTrusts, b.Intro.Trusted);
        foreach (TcpMeshConnection end in new[] { a, b })
        {
            Assert.Equal(dataSealed, end.Encrypted);
            Assert.Equal(dataSealed, end.DataKeys is not null);
            Assert.True(end.ControlSealed);
        }
        // The control plane still works (sealed) over a link whose data goes in clear.
        var received = Channel.CreateUnbounded<byte[]>();
        b.Start((_, _, body) => received.Writer.TryWrite(body), _ => { }, TestToken);
        a.Start((_, _, _) => { }, _ => { }, TestToken);
        a.Send((byte)FrameTag.Gossip, new byte[] { 7, 7 });
        Assert.Equal(new byte[] { 7, 7 }, await received.Reader.ReadAsync(TestToken));
        a.Close("test over");
        await b.Completion.WaitAsync(TestToken);
        Assert.Equal(0, _counters.AuthenticationFailures);
    }

    [Fact]
    public async Task TrustedSubnets_WithoutPassword_NothingIsSealed()
    {
        (TcpMeshConnection a, TcpMeshConnection b) = await ConnectAsync(true, true, password: false);

        Assert.True(a.Intro.Trusted);
        Assert.False(a.Encrypted || b.Encrypted || a.ControlSealed || b.ControlSealed);
        Assert.Null(a.DataKeys);
        a.Discard();
        b.Discard();
    }

    /// <summary>What admission judges: each end's cluster, from its intro, on the other's identity of it.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handshake_CarriesEachEndsCluster_IntoTheRemoteIdentity(bool password)
    {
        ClusterIdentity east = Weave.Tests.Gossip.Topology.TopologyArbitraries.Cluster("east", "10.32.0.0/12");
        (Socket dialled, Socket accepted) = await SocketPairAsync();
        ControlSecurity? security = password ? Security : null;
        Task<TcpMeshConnection> atA = new ConnectionSetup(s_a with { Cluster = east }, 6784, TimeProvider.System, new Random(1), security)
            .RunAsync(dialled, outbound: true, "127.0.0.1:6783", TestToken);
        Task<TcpMeshConnection> atB = new ConnectionSetup(s_b, 6784, TimeProvider.System, new Random(2), security)
            .RunAsync(accepted, outbound: false, "127.0.0.1:40000", TestToken);
        TcpMeshConnection a = await atA, b = await atB;

        Assert.Equal(east, b.Remote.Cluster);
        Assert.Null(a.Remote.Cluster); // s_b says none, as an older router would
        a.Discard();
        b.Discard();
    }

    [Fact]
    public async Task Connection_RecordAlteredOnTheWire_EndsTheConnection_AndIsCounted()
    {
        (Socket dialled, Socket accepted) = await SocketPairAsync();
        // The acceptor's end is driven by hand: a real handshake, then a forged record.
        Task<TcpMeshConnection> atA = DialAsync(dialled);
        await using var stream = new NetworkStream(accepted, ownsSocket: true);
        var reader = System.IO.Pipelines.PipeReader.Create(stream);
        var intro = new PeerIntro(s_b.Name, s_b.NickName, s_b.Uid, 5, 6784, "test");
        HandshakeResult atB = await Handshake.RunAsync(stream, reader, ProtocolHeader.Ours, intro, TimeSpan.FromSeconds(10),
            TimeProvider.System, TestToken, Security, outbound: false);
        TcpMeshConnection a = await atA;
        a.Start((_, _, _) => { }, _ => { }, TestToken);

        byte[] record = atB.Session!.Sealer.Seal(FrameCodec.Encode(FrameTag.Gossip, "gossip"u8).AsSpan(WireFormat.FrameLengthSizeBytes));
        record[^1] ^= 0x80;
        await stream.WriteAsync(record, TestToken);

        string reason = await a.Completion.WaitAsync(TestToken);
        Assert.Contains("failed authentication", reason, StringComparison.Ordinal);
        Assert.Equal(1, _counters.AuthenticationFailures);
        atB.Session.Dispose();
        await reader.CompleteAsync();
    }
}
