using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>
/// What <see cref="RecordCipher"/> promises for every suite beyond the vectors: the counter
/// overloads use exactly the nonce <see cref="RecordCipher.WriteNonce"/> writes (AEGIS-256 builds
/// it in registers, the others in memory), and a message in two parts seals to the bytes of the
/// whole message, with its head in place or apart.
/// </summary>
public sealed class RecordCipherTests
{
    private static readonly byte[] s_associated = "sleeve-header"u8.ToArray();

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void CounterOverloads_UseTheWrittenNonce(CipherSuite suite)
    {
        using var cipher = RecordCipher.Create(suite, TestKeys.Key(9));
        byte[] message = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        // Every byte of the counter distinct, and the epoch bits of a datagram header set.
        foreach (ulong counter in new[] { 0UL, 1UL, 0x0102_0304_0506_0708UL, (7UL << 48) | 0x00AB_CDEF_0123UL, ulong.MaxValue })
        {
            byte[] nonce = new byte[RecordFormat.NonceSizeBytes];
            RecordCipher.WriteNonce(nonce, counter);
            byte[] byNonce = new byte[message.Length + RecordFormat.TagSizeBytes];
            cipher.Seal(nonce, s_associated, message, byNonce);
            byte[] byCounter = new byte[byNonce.Length];
            cipher.Seal(counter, s_associated, message, byCounter);

            Assert.Equal(byNonce, byCounter);
            byte[] opened = new byte[message.Length];
            Assert.True(cipher.TryOpen(counter, s_associated, byNonce, opened), $"counter {counter:x}");
            Assert.Equal(message, opened);
            Assert.False(cipher.TryOpen(counter + 1, s_associated, byNonce, opened), $"counter {counter:x} + 1");
        }
    }

    [Theory]
    [MemberData(nameof(TwoPartCases))]
    public void TwoParts_SealAsTheWholeMessage(CipherSuite suite, int headLength, int bodyLength, bool headInPlace)
    {
        using var cipher = RecordCipher.Create(suite, TestKeys.Key(5));
        var random = new Random(headLength * 7919 + bodyLength);
        byte[] head = new byte[headLength], body = new byte[bodyLength];
        random.NextBytes(head);
        random.NextBytes(body);
        byte[] expected = new byte[headLength + bodyLength + RecordFormat.TagSizeBytes];
        cipher.Seal(42, s_associated, [.. head, .. body], expected);

        byte[] output = new byte[expected.Length];
        ReadOnlySpan<byte> headSource = head;
        if (headInPlace)
        {
            head.CopyTo(output, 0);
            headSource = output.AsSpan(0, headLength);
        }
        byte[] bodyBefore = (byte[])body.Clone();
        cipher.Seal(42, s_associated, headSource, body, output);

        Assert.Equal(expected, output);
        Assert.Equal(bodyBefore, body);
    }

    public static TheoryData<CipherSuite, int, int, bool> TwoPartCases()
    {
        var cases = new TheoryData<CipherSuite, int, int, bool>();
        foreach (CipherSuite suite in CipherSuites.Supported)
        {
            // 16: a chunk header (AEGIS-256 reads both parts where they are); 5: not whole blocks (copied first).
            foreach ((int head, int body) in new[] { (16, 1384), (16, 0), (0, 100), (5, 37), (32, 15) })
            {
                cases.Add(suite, head, body, true);
                cases.Add(suite, head, body, false);
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void TwoParts_OutputTooShort_IsRefusedWithAClearError(CipherSuite suite)
    {
        using var cipher = RecordCipher.Create(suite, TestKeys.Key(5));
        var error = Assert.Throws<ArgumentException>(() => cipher.Seal(1, s_associated, new byte[16], new byte[20], new byte[40]));
        Assert.Contains("tag", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The two AES-NI ciphers keep their keys in native memory (AesGcmKey, AegisKey): the
    /// same refusals, with a clear message, for wrong shapes.</summary>
    [AesNiTheory]
    [InlineData(CipherSuite.Aes256Gcm)]
    [InlineData(CipherSuite.Aegis256)]
    public void BadShapes_AreRefusedWithAClearError(CipherSuite suite)
    {
        using var cipher = RecordCipher.Create(suite, new byte[32]);
        byte[] nonce = new byte[12];
        byte[] buffer = new byte[100];

        var shortOutput = Assert.Throws<ArgumentException>(() => cipher.Seal(nonce, [], buffer.AsSpan(0, 50), buffer.AsSpan(50, 50)));
        Assert.Contains("tag", shortOutput.Message, StringComparison.Ordinal);
        var overlap = Assert.Throws<ArgumentException>(() => cipher.Seal(nonce, [], buffer.AsSpan(0, 40), buffer.AsSpan(1, 56)));
        Assert.Contains("overlap", overlap.Message, StringComparison.Ordinal);
        var badNonce = Assert.Throws<ArgumentException>(() => cipher.Seal(new byte[8], [], buffer.AsSpan(0, 40), buffer.AsSpan(0, 56)));
        Assert.Contains("nonce", badNonce.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RecordCipher.Create(suite, new byte[16]));
        Assert.False(cipher.TryOpen(nonce, [], new byte[15], []));
    }

    [Fact]
    public void Create_GivesEachSuiteItsOwnCipher_AndRefusesASuiteThatIsNone()
    {
        foreach (CipherSuite suite in CipherSuites.Supported)
        {
            using RecordCipher cipher = RecordCipher.Create(suite, new byte[32]);
            Assert.Equal(suite, cipher.Suite);
        }
        var none = Assert.Throws<ArgumentOutOfRangeException>(() => RecordCipher.Create((CipherSuite)99, new byte[32]));
        Assert.Contains("not a cipher suite", none.Message, StringComparison.Ordinal);
    }

    /// <summary>Their keys are zeroed and freed on disposal; a call after it throws rather than
    /// sealing under zeroed bytes (a known key) or touching freed memory.</summary>
    [AesNiTheory]
    [InlineData(CipherSuite.Aes256Gcm)]
    [InlineData(CipherSuite.Aegis256)]
    public void AfterDispose_CallsThrowInsteadOfTouchingFreedKeyMaterial(CipherSuite suite)
    {
        var cipher = RecordCipher.Create(suite, new byte[32]);
        cipher.Dispose();
        byte[] buffer = new byte[40];
        Assert.Throws<ObjectDisposedException>(() => cipher.Seal(new byte[12], [], buffer.AsSpan(0, 24), buffer));
        Assert.Throws<ObjectDisposedException>(() => cipher.TryOpen(new byte[12], [], buffer, buffer.AsSpan(0, 24)));
        cipher.Dispose(); // idempotent
    }
}
