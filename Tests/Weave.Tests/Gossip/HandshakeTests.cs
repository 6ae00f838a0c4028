using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

/// <summary>The handshake over real loopback TCP connections (no root needed).</summary>
public sealed class HandshakeTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(300);

    private static readonly PeerIntro s_alice = new(new PeerName(0x5e1a00000001), "alice", 111, 1001, 6784, "weave-cs test");
    private static readonly PeerIntro s_bob = new(new PeerName(0x5e1a00000002), "bob", 222, 2002, 7784, "weave-cs test");

    private static CancellationToken TestToken => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static Task<HandshakeResult> Run(LoopbackEnd end, PeerIntro intro, ProtocolHeader? header = null, TimeSpan? timeout = null, TimeProvider? time = null) =>
        Handshake.RunAsync(end.Stream, end.Reader, header ?? ProtocolHeader.Ours, intro, timeout ?? s_generous, time ?? TimeProvider.System, TestToken);

    [Fact]
    public async Task RunAsync_BothSidesCurrent_EachSeesTheOthersIntroAndVersion3()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob);

        HandshakeResult atDialer = await dialer;
        HandshakeResult atAcceptor = await acceptor;

        Assert.Equal(3, atDialer.Version);
        Assert.Equal(3, atAcceptor.Version);
        Assert.Equal(s_bob, atDialer.Remote);
        Assert.Equal(s_alice, atAcceptor.Remote);
    }

    [Fact]
    public async Task RunAsync_EachSeesTheOthersCluster()
    {
        PeerIntro alice = s_alice with { Cluster = Topology.TopologyArbitraries.Cluster("a", "10.32.0.0/12") };
        PeerIntro bob = s_bob with { Cluster = Topology.TopologyArbitraries.Cluster("b", null) };
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, alice);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, bob);

        Assert.Equal(bob.Cluster, (await dialer).Remote.Cluster);
        Assert.Equal(alice.Cluster, (await acceptor).Remote.Cluster);
    }

    [Fact]
    public async Task RunAsync_AfterHandshake_ConnectionCarriesFrames()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        await Task.WhenAll(Run(pair.Dialer, s_alice), Run(pair.Acceptor, s_bob));

        await pair.Dialer.Stream.WriteAsync(FrameCodec.Encode(FrameTag.Heartbeat, []), TestToken);
        var frame = await FrameCodec.ReadFrameAsync(pair.Acceptor.Reader, WireFormat.MaxFrameBytes, TestToken);
        Assert.NotNull(frame);
        Assert.Equal((byte)FrameTag.Heartbeat, frame.Value.Tag);
        Assert.Empty(frame.Value.Body);
    }

    [Fact]
    public async Task RunAsync_OverlappingRanges_AgreeOnHighestCommonVersion()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice, new ProtocolHeader(3, 5));
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob, new ProtocolHeader(2, 4));
        Assert.Equal(4, (await dialer).Version);
        Assert.Equal(4, (await acceptor).Version);
    }

    [Fact]
    public async Task RunAsync_VersionMismatch_FailsOnBothSides()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob, new ProtocolHeader(5, 6));

        var atDialer = await Assert.ThrowsAsync<ProtocolException>(() => dialer);
        var atAcceptor = await Assert.ThrowsAsync<ProtocolException>(() => acceptor);

        Assert.Contains("no common protocol version", atDialer.Message, StringComparison.Ordinal);
        Assert.Contains("we speak 3..3, the peer speaks 5..6", atDialer.Message, StringComparison.Ordinal);
        Assert.Contains("no common protocol version", atAcceptor.Message, StringComparison.Ordinal);
        Assert.Contains("we speak 5..6, the peer speaks 3..3", atAcceptor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WeaveNet2Peer_FailsWithNoCommonVersion()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        // What Weave Net 2.x sends first: the same magic, versions 1..2.
        await pair.Acceptor.Stream.WriteAsync("weave\u0001\u0002"u8.ToArray(), TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("no common protocol version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PeerSendsNothing_TimesOut()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        var started = TimeProvider.System.GetTimestamp();
        var error = await Assert.ThrowsAsync<ProtocolException>(() => Run(pair.Dialer, s_alice, timeout: s_short));
        Assert.Contains("handshake not completed within 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task RunAsync_PeerSendsOnlyHeader_TimesOutWaitingForIntro()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        await pair.Acceptor.Stream.WriteAsync(header, TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => Run(pair.Dialer, s_alice, timeout: s_short));
        Assert.Contains("not completed within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FakeTimeAdvancedPastDeadline_TimesOut()
    {
        var time = new FakeTimeProvider();
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> handshake = Run(pair.Dialer, s_alice, timeout: WireFormat.HandshakeTimeout, time: time);
        // Wait until the header has gone out, so the handshake is blocked reading the peer's.
        byte[] received = new byte[WireFormat.HeaderSizeBytes];
        await pair.Acceptor.Stream.ReadExactlyAsync(received, TestToken);
        time.Advance(WireFormat.HandshakeTimeout - TimeSpan.FromSeconds(1));
        Assert.False(handshake.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<ProtocolException>(() => handshake);
        Assert.Contains("handshake not completed within 10 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CallerCancels_ThrowsOperationCanceledNotProtocolError()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        using var cancel = new CancellationTokenSource();
        Task<HandshakeResult> handshake = Handshake.RunAsync(pair.Dialer.Stream, pair.Dialer.Reader, ProtocolHeader.Ours, s_alice,
            s_generous, TimeProvider.System, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handshake);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("WEAVE\u0003\u0003")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000")] // a TLS ClientHello
    public async Task RunAsync_PeerSendsBadMagic_FailsAsNotAWeavePeer(string garbage)
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        await pair.Acceptor.Stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(garbage), TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("not a weave peer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PeerSendsInvertedRange_Fails()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        await pair.Acceptor.Stream.WriteAsync("weave\u0004\u0003"u8.ToArray(), TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("invalid version range", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> Truncations()
    {
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        byte[] intro = FrameCodec.Encode(FrameTag.Intro, s_bob.Encode());
        return new TheoryData<string, byte[], string>
        {
            { "nothing", [], "before the peer's protocol header" },
            { "part of the header", header[..3], "before the peer's protocol header" },
            { "the header", header, "before the peer's intro" },
            { "part of the intro's length", [.. header, .. intro[..2]], "in the middle of a frame" },
            { "part of the intro", [.. header, .. intro[..^1]], "in the middle of a frame" },
        };
    }

    [Theory]
    [MemberData(nameof(Truncations))]
    public async Task RunAsync_PeerClosesMidHandshake_FailsWithProtocolError(string sent, byte[] bytes, string expected)
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        await pair.Acceptor.Stream.WriteAsync(bytes, TestToken);
        pair.Acceptor.Socket.Shutdown(SocketShutdown.Send);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"after {sent}: {error.Message}");
    }

    [Fact]
    public async Task RunAsync_PeerResetsConnection_FailsPromptlyWithIOOrProtocolError()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        await pair.Acceptor.Stream.ReadExactlyAsync(header, TestToken);
        pair.Acceptor.Socket.LingerState = new LingerOption(true, 0); // close with RST
        pair.Acceptor.Socket.Close();
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => ours);
        Assert.True(error is ProtocolException or IOException, error.ToString());
    }

    [Fact]
    public async Task RunAsync_FirstFrameNotAnIntro_Fails()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        await pair.Acceptor.Stream.WriteAsync((byte[])[.. header, .. FrameCodec.Encode(FrameTag.Heartbeat, [])], TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("expected an intro", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OversizeIntroFrame_FailsWithoutWaitingForIt()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        await pair.Acceptor.Stream.WriteAsync((byte[])[.. header, 0x7F, 0xFF, 0xFF, 0xFF, 1], TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("frame length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_InvalidIntro_FailsWithDecodeError()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> ours = Run(pair.Dialer, s_alice);
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        byte[] intro = (s_bob with { DataPort = 70000 }).Encode();
        await pair.Acceptor.Stream.WriteAsync((byte[])[.. header, .. FrameCodec.Encode(FrameTag.Intro, intro)], TestToken);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => ours);
        Assert.Contains("invalid DataPort '70000'", error.Message, StringComparison.Ordinal);
    }
}
