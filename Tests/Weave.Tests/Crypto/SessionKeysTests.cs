using System.Buffers;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>The key schedule: same inputs give matching keys crosswise; any difference gives keys that do not open.</summary>
public sealed class SessionKeysTests : IClassFixture<SessionKeysTests.Passwords>
{
    private readonly Passwords _passwords;

    public SessionKeysTests(Passwords passwords) => _passwords = passwords;

    /// <summary>Argon2id costs a tenth of a second each: harden the test passwords once.</summary>
    public sealed class Passwords : IDisposable
    {
        public HardenedPassword Right { get; } = HardenedPassword.Derive("correct horse");
        public HardenedPassword Wrong { get; } = HardenedPassword.Derive("correct horsf");

        public void Dispose()
        {
            Right.Dispose();
            Wrong.Dispose();
        }
    }

    private static (SessionKeys Dialer, SessionKeys Acceptor) Derive(HardenedPassword atDialer, HardenedPassword atAcceptor,
        byte[]? transcriptAtDialer = null, byte[]? transcriptAtAcceptor = null)
    {
        using EphemeralKey dialer = EphemeralKey.Create();
        using EphemeralKey acceptor = EphemeralKey.Create();
        byte[] transcript = new byte[32];
        CipherSuite suite = CipherSuites.Supported[0];
        Assert.True(SessionKeys.TryDerive(dialer, acceptor.PublicKey, atDialer, transcriptAtDialer ?? transcript, weDialled: true, suite, out SessionKeys? d, out _));
        Assert.True(SessionKeys.TryDerive(acceptor, dialer.PublicKey, atAcceptor, transcriptAtAcceptor ?? transcript, weDialled: false, suite, out SessionKeys? a, out _));
        return (d!, a!);
    }

    private static bool Opens(SessionKeys from, SessionKeys to, bool dataPlane = false)
    {
        var counters = new CryptoCounters();
        if (dataPlane)
        {
            using DatagramSealer sealer = from.CreateDataSealer(TimeProvider.System);
            using DatagramOpener opener = to.CreateDataOpener(counters);
            byte[] buffer = new byte[64];
            DatagramSlice[] slices = [new(RecordFormat.DatagramHeaderSizeBytes, 10)];
            Assert.True(sealer.TrySeal(buffer, slices, []));
            var results = new DatagramOpenStatus[1];
            opener.Open(buffer, slices, [], results);
            return results[0] == DatagramOpenStatus.Opened;
        }
        using StreamRecordSealer streamSealer = from.CreateControlSealer(TimeProvider.System);
        using StreamRecordOpener streamOpener = to.CreateControlOpener(1024, counters);
        var sequence = new ReadOnlySequence<byte>(streamSealer.Seal("hello"u8));
        return streamOpener.TryOpen(ref sequence, out _, out _) == StreamRecordOpener.Result.Record;
    }

    [Fact]
    public void SamePassword_EachDirectionAndPlaneOpens()
    {
        var (dialer, acceptor) = Derive(_passwords.Right, _passwords.Right);
        Assert.True(Opens(dialer, acceptor));
        Assert.True(Opens(acceptor, dialer));
        Assert.True(Opens(dialer, acceptor, dataPlane: true));
        Assert.True(Opens(acceptor, dialer, dataPlane: true));
    }

    [Fact]
    public void RecordReflectedToItsSender_DoesNotOpen()
    {
        var (dialer, _) = Derive(_passwords.Right, _passwords.Right);
        Assert.False(Opens(dialer, dialer));
        Assert.False(Opens(dialer, dialer, dataPlane: true));
    }

    [Fact]
    public void WrongPassword_NothingOpens()
    {
        var (dialer, acceptor) = Derive(_passwords.Right, _passwords.Wrong);
        Assert.False(Opens(dialer, acceptor));
        Assert.False(Opens(acceptor, dialer));
        Assert.False(Opens(dialer, acceptor, dataPlane: true));
    }

    [Fact]
    public void DifferentTranscripts_NothingOpens()
    {
        byte[] tampered = new byte[32];
        tampered[31] = 1;
        var (dialer, acceptor) = Derive(_passwords.Right, _passwords.Right, transcriptAtAcceptor: tampered);
        Assert.False(Opens(dialer, acceptor));
        Assert.False(Opens(acceptor, dialer));
    }

    [Fact]
    public void LowOrderRemoteKey_IsRefused()
    {
        using EphemeralKey local = EphemeralKey.Create();
        Assert.False(SessionKeys.TryDerive(local, new byte[32], _passwords.Right, new byte[32], true, CipherSuites.Supported[0], out _, out string error));
        Assert.Contains("public key is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void HardenedPassword_IsDeterministic_AndDiffersPerPassword()
    {
        using HardenedPassword again = HardenedPassword.Derive("correct horse");
        Assert.True(again.Value.SequenceEqual(_passwords.Right.Value));
        Assert.False(_passwords.Wrong.Value.SequenceEqual(_passwords.Right.Value));
        Assert.Throws<ArgumentException>(() => HardenedPassword.Derive(""));
    }

    [Theory]
    [InlineData("aes256gcm chacha20poly1305", "chacha20poly1305 aes256gcm", "aes256gcm")]
    [InlineData("chacha20poly1305", "aes256gcm chacha20poly1305", "chacha20poly1305")]
    [InlineData("rot13 chacha20poly1305", "chacha20poly1305", "chacha20poly1305")]
    [InlineData("aegis256 aes256gcm chacha20poly1305", "aegis256 aes256gcm chacha20poly1305", "aegis256")]
    [InlineData("aegis256 aes256gcm chacha20poly1305", "aes256gcm chacha20poly1305", "aes256gcm")] // an acceptor from before AEGIS-256
    [InlineData("aes256gcm chacha20poly1305", "aegis256 aes256gcm chacha20poly1305", "aes256gcm")] // a dialer from before it
    public void CipherAgreement_TakesTheDialersFirstCommonChoice(string dialer, string acceptor, string expected)
    {
        Assert.True(CipherSuites.TryAgree(dialer, acceptor, out CipherSuite suite, out _));
        Assert.Equal(expected, CipherSuites.Name(suite));
        Assert.True(CipherSuites.TryAgree(dialer, acceptor, out CipherSuite again, out _));
        Assert.Equal(suite, again);
    }

    [AesNiFact]
    public void Offer_LeadsWithAegis256_ThenAesGcm_ThenChaCha_WhereTheCpuHasAesNi()
    {
        Assert.Equal("aegis256 aes256gcm chacha20poly1305", CipherSuites.Offer(CipherSuites.Supported));
    }

    [Fact]
    public void CipherAgreement_NothingInCommon_SaysSo()
    {
        Assert.False(CipherSuites.TryAgree("rot13", "chacha20poly1305", out _, out string error));
        Assert.Contains("no common cipher", error, StringComparison.Ordinal);
    }
}
