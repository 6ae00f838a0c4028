using System.Buffers;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

/// <summary>The handshake with a password, over real loopback TCP: keys, confirmation, refusals, tampering.</summary>
public sealed class SecureHandshakeTests : IClassFixture<SecureHandshakeTests.Passwords>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly PeerIntro s_alice = new(new PeerName(0x5e1a00000001), "alice-nick", 111, 1001, 6784, "weave-cs test");
    private static readonly PeerIntro s_bob = new(new PeerName(0x5e1a00000002), "bob-nick", 222, 2002, 7784, "weave-cs test");

    private readonly Passwords _passwords;

    public SecureHandshakeTests(Passwords passwords) => _passwords = passwords;

    public sealed class Passwords : IDisposable
    {
        public HardenedPassword Right { get; } = HardenedPassword.Derive("s3cret mesh");
        public HardenedPassword Wrong { get; } = HardenedPassword.Derive("s3cret mess");

        public void Dispose()
        {
            Right.Dispose();
            Wrong.Dispose();
        }
    }

    private static CancellationToken TestToken => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static Task<HandshakeResult> Run(LoopbackEnd end, PeerIntro intro, HardenedPassword? password, bool outbound,
        ProtocolHeader? header = null, CryptoCounters? counters = null) =>
        Handshake.RunAsync(end.Stream, end.Reader, header ?? ProtocolHeader.Ours, intro, s_timeout, TimeProvider.System, TestToken,
            password is null ? null : new ControlSecurity(password, counters ?? new CryptoCounters()), outbound);

    [Fact]
    public async Task SamePassword_BothEstablish_SeeTheSealedNicknames_AndExchangeSealedFrames()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob, _passwords.Right, outbound: false);
        HandshakeResult atDialer = await dialer;
        HandshakeResult atAcceptor = await acceptor;

        Assert.Equal("bob-nick", atDialer.Remote.NickName);
        Assert.Equal("alice-nick", atAcceptor.Remote.NickName);
        Assert.NotNull(atDialer.Session);
        Assert.NotNull(atAcceptor.Session);
        Assert.Equal(atDialer.Session.Suite, atAcceptor.Session.Suite);
        Assert.Equal(CipherSuites.Supported[0], atDialer.Session.Suite);

        byte[] frame = FrameCodec.Encode(FrameTag.Gossip, "topology"u8);
        await pair.Dialer.Stream.WriteAsync(atDialer.Session.Sealer.Seal(frame.AsSpan(WireFormat.FrameLengthSizeBytes)), TestToken);
        var received = await SealedFrames.ReadFrameAsync(pair.Acceptor.Reader, atAcceptor.Session.Opener, TestToken);
        Assert.Equal((byte)FrameTag.Gossip, received!.Value.Tag);
        Assert.Equal("topology"u8.ToArray(), received.Value.Body);
        atDialer.Session.Dispose();
        atAcceptor.Session.Dispose();
    }

    [Fact]
    public async Task WrongPassword_BothSidesReportAuthenticationFailed()
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        var counters = new CryptoCounters();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice, _passwords.Right, outbound: true, counters: counters);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob, _passwords.Wrong, outbound: false);

        var atDialer = await Assert.ThrowsAsync<ProtocolException>(() => dialer);
        var atAcceptor = await Assert.ThrowsAsync<ProtocolException>(() => acceptor);
        Assert.StartsWith(Handshake.AuthenticationFailed, atDialer.Message, StringComparison.Ordinal);
        Assert.StartsWith(Handshake.AuthenticationFailed, atAcceptor.Message, StringComparison.Ordinal);
        Assert.Equal(1, counters.AuthenticationFailures);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PasswordAgainstNoPassword_BothRefuseWithAClearMessage(bool dialerHasPassword)
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice, dialerHasPassword ? _passwords.Right : null, outbound: true);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob, dialerHasPassword ? null : _passwords.Right, outbound: false);

        var atDialer = await Assert.ThrowsAsync<ProtocolException>(() => dialer);
        var atAcceptor = await Assert.ThrowsAsync<ProtocolException>(() => acceptor);
        string withPassword = dialerHasPassword ? atDialer.Message : atAcceptor.Message;
        string without = dialerHasPassword ? atAcceptor.Message : atDialer.Message;
        Assert.Contains("encryption mismatch: we have a password and the peer has none", withPassword, StringComparison.Ordinal);
        Assert.Contains("encryption mismatch: the peer has a password and we have none", without, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionDowngradeByAManInTheMiddle_WithoutPassword_GoesUnnoticed_WithPassword_FailsAuthentication()
    {
        // Both speak 3..4; the relay tells the dialer the acceptor speaks only 3..3.
        static byte[] Downgrade(byte[] header)
        {
            byte[] copy = (byte[])header.Clone();
            copy[6] = 3;
            return copy;
        }
        var both = new ProtocolHeader(3, 4);

        await using (TamperingRelay plain = await TamperingRelay.StartAsync(acceptorHeader: Downgrade))
        {
            Task<HandshakeResult> dialer = Run(plain.Dialer, s_alice, null, outbound: true, header: both);
            Task<HandshakeResult> acceptor = Run(plain.Acceptor, s_bob, null, outbound: false, header: both);
            Assert.Equal(3, (await dialer).Version);
            Assert.Equal(4, (await acceptor).Version);
        }

        await using TamperingRelay relay = await TamperingRelay.StartAsync(acceptorHeader: Downgrade);
        Task<HandshakeResult> sealedDialer = Run(relay.Dialer, s_alice, _passwords.Right, outbound: true, header: both);
        Task<HandshakeResult> sealedAcceptor = Run(relay.Acceptor, s_bob, _passwords.Right, outbound: false, header: both);
        var atDialer = await Assert.ThrowsAsync<ProtocolException>(() => sealedDialer);
        var atAcceptor = await Assert.ThrowsAsync<ProtocolException>(() => sealedAcceptor);
        Assert.StartsWith(Handshake.AuthenticationFailed, atDialer.Message, StringComparison.Ordinal);
        Assert.StartsWith(Handshake.AuthenticationFailed, atAcceptor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CipherOfferRewrittenByAManInTheMiddle_FailsAuthentication()
    {
        static byte[] OnlyChaCha(byte[] intro)
        {
            Assert.True(PeerIntro.TryDecode(intro, out PeerIntro? decoded, out _));
            return (decoded! with { Ciphers = CipherSuites.ChaCha20Poly1305Name }).Encode();
        }
        await using TamperingRelay relay = await TamperingRelay.StartAsync(dialerIntro: OnlyChaCha);
        Task<HandshakeResult> dialer = Run(relay.Dialer, s_alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(relay.Acceptor, s_bob, _passwords.Right, outbound: false);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => dialer)).Message, StringComparison.Ordinal);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => acceptor)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptionFeatureStrippedByAManInTheMiddle_IsRefused_NeverPlaintext()
    {
        static byte[] Strip(byte[] intro)
        {
            Assert.True(PeerIntro.TryDecode(intro, out PeerIntro? decoded, out _));
            return (decoded! with { PublicKey = null, Ciphers = null }).Encode();
        }
        await using TamperingRelay relay = await TamperingRelay.StartAsync(dialerIntro: Strip);
        Task<HandshakeResult> dialer = Run(relay.Dialer, s_alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(relay.Acceptor, s_bob, _passwords.Right, outbound: false);
        var atAcceptor = await Assert.ThrowsAsync<ProtocolException>(() => acceptor);
        Assert.Contains("encryption mismatch", atAcceptor.Message, StringComparison.Ordinal);
        // The acceptor hangs up, as the router does; the dialer got a proper intro but never a key confirmation.
        relay.Acceptor.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        var atDialer = await Assert.ThrowsAsync<ProtocolException>(() => dialer);
        Assert.StartsWith(Handshake.AuthenticationFailed, atDialer.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    public async Task TrustedIntros_DataSealedUnlessBothTrust_ControlSessionAlways(bool aliceTrusts, bool bobTrusts, bool dataSealed)
    {
        await using LoopbackPair pair = await LoopbackPair.ConnectAsync();
        Task<HandshakeResult> dialer = Run(pair.Dialer, s_alice with { Trusted = aliceTrusts }, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(pair.Acceptor, s_bob with { Trusted = bobTrusts }, _passwords.Right, outbound: false);
        HandshakeResult atDialer = await dialer;
        HandshakeResult atAcceptor = await acceptor;

        Assert.Equal(bobTrusts, atDialer.Remote.Trusted);
        Assert.Equal(aliceTrusts, atAcceptor.Remote.Trusted);
        Assert.Equal(dataSealed, atDialer.DataSealed);
        Assert.Equal(dataSealed, atAcceptor.DataSealed);
        Assert.NotNull(atDialer.Session);
        Assert.NotNull(atAcceptor.Session);
        atDialer.Session.Dispose();
        atAcceptor.Session.Dispose();
    }

    [Fact]
    public async Task TrustedFlippedByAManInTheMiddle_ToGetPlaintextData_FailsAuthentication()
    {
        // Neither end trusts the other; the relay claims both do, which would turn the data plane to plaintext.
        static byte[] ClaimTrusted(byte[] intro)
        {
            Assert.True(PeerIntro.TryDecode(intro, out PeerIntro? decoded, out _));
            Assert.False(decoded!.Trusted);
            return (decoded with { Trusted = true }).Encode();
        }
        await using TamperingRelay relay = await TamperingRelay.StartAsync(dialerIntro: ClaimTrusted, acceptorIntro: ClaimTrusted);
        Task<HandshakeResult> dialer = Run(relay.Dialer, s_alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(relay.Acceptor, s_bob, _passwords.Right, outbound: false);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => dialer)).Message, StringComparison.Ordinal);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => acceptor)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterRewrittenByAManInTheMiddle_ToPassAdmission_FailsAuthentication()
    {
        // Bob's range overlaps Alice's; the relay claims a disjoint one so that admission lets him in.
        static byte[] ClaimDisjointRange(byte[] intro)
        {
            Assert.True(PeerIntro.TryDecode(intro, out PeerIntro? decoded, out _));
            return (decoded! with { Cluster = Topology.TopologyArbitraries.Cluster("b", "10.99.0.0/16") }).Encode();
        }
        await using TamperingRelay relay = await TamperingRelay.StartAsync(acceptorIntro: ClaimDisjointRange);
        PeerIntro alice = s_alice with { Cluster = Topology.TopologyArbitraries.Cluster("a", "10.32.0.0/12") };
        PeerIntro bob = s_bob with { Cluster = Topology.TopologyArbitraries.Cluster("b", "10.32.0.0/16") };
        Task<HandshakeResult> dialer = Run(relay.Dialer, alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(relay.Acceptor, bob, _passwords.Right, outbound: false);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => dialer)).Message, StringComparison.Ordinal);
        Assert.StartsWith(Handshake.AuthenticationFailed, (await Assert.ThrowsAsync<ProtocolException>(() => acceptor)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealedHandshake_ShowsNoNicknameOnTheWire()
    {
        var seen = new ArrayBufferWriter<byte>();
        var seenLock = new Lock();
        byte[] Capture(byte[] intro)
        {
            lock (seenLock) // the relay pumps both directions at once
            {
                seen.Write(intro);
            }
            return intro;
        }
        await using TamperingRelay relay = await TamperingRelay.StartAsync(dialerIntro: Capture, acceptorIntro: Capture);
        Task<HandshakeResult> dialer = Run(relay.Dialer, s_alice, _passwords.Right, outbound: true);
        Task<HandshakeResult> acceptor = Run(relay.Acceptor, s_bob, _passwords.Right, outbound: false);
        (await dialer).Session!.Dispose();
        (await acceptor).Session!.Dispose();
        Assert.Equal(-1, seen.WrittenSpan.IndexOf("-nick"u8));
    }
}
