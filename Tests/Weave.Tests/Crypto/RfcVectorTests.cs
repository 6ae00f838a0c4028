using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>The RFCs' own test vectors, run through our wrappers (not NSec directly).</summary>
public sealed class RfcVectorTests
{
    // RFC 7748 section 6.1: Alice's and Bob's key pairs and their shared secret.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Fact]
    public void X25519_Rfc7748Section6_BothSidesComputeTheSharedSecret()
    {
        using EphemeralKey alice = EphemeralKey.Import(Convert.FromHexString(AlicePrivate));
        using EphemeralKey bob = EphemeralKey.Import(Convert.FromHexString(BobPrivate));
        Assert.Equal(AlicePublic, Convert.ToHexStringLower(alice.PublicKey));
        Assert.Equal(BobPublic, Convert.ToHexStringLower(bob.PublicKey));

        byte[] atAlice = new byte[32];
        byte[] atBob = new byte[32];
        Assert.True(alice.TryAgree(Convert.FromHexString(BobPublic), atAlice));
        Assert.True(bob.TryAgree(Convert.FromHexString(AlicePublic), atBob));
        Assert.Equal(Shared, Convert.ToHexStringLower(atAlice));
        Assert.Equal(Shared, Convert.ToHexStringLower(atBob));
    }

    [Theory]
    // RFC 7748 section 5.2: scalar, u-coordinate, output.
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void X25519_Rfc7748Section5_2(string scalar, string u, string expected)
    {
        using EphemeralKey key = EphemeralKey.Import(Convert.FromHexString(scalar));
        byte[] output = new byte[32];
        Assert.True(key.TryAgree(Convert.FromHexString(u), output));
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00")]
    public void X25519_LowOrderOrShortPublicKey_IsRefused(string remote)
    {
        using EphemeralKey key = EphemeralKey.Create();
        Assert.False(key.TryAgree(Convert.FromHexString(remote), new byte[32]));
    }

    // RFC 8439 section 2.8.2: the sunscreen AEAD example.
    private const string Key8439 = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
    private const string Nonce8439 = "070000004041424344454647";
    private const string Aad8439 = "50515253c0c1c2c3c4c5c6c7";
    private const string Plaintext8439 = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    private const string Ciphertext8439 =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
        "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
        "3ff4def08e4b7a9de576d26586cec64b6116";
    private const string Tag8439 = "1ae10b594f09e26a7e902ecbd0600691";

    [Fact]
    public void ChaCha20Poly1305_Rfc8439Section2_8_2_SealsAndOpens()
    {
        using var cipher = RecordCipher.Create(CipherSuite.ChaCha20Poly1305, Convert.FromHexString(Key8439));
        byte[] plaintext = System.Text.Encoding.ASCII.GetBytes(Plaintext8439);
        byte[] sealedBytes = new byte[plaintext.Length + RecordFormat.TagSizeBytes];

        cipher.Seal(Convert.FromHexString(Nonce8439), Convert.FromHexString(Aad8439), plaintext, sealedBytes);

        Assert.Equal(Ciphertext8439 + Tag8439, Convert.ToHexStringLower(sealedBytes));
        byte[] opened = new byte[plaintext.Length];
        Assert.True(cipher.TryOpen(Convert.FromHexString(Nonce8439), Convert.FromHexString(Aad8439), sealedBytes, opened));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void ChaCha20Poly1305_Rfc8439_InPlace_GivesTheSameBytes()
    {
        using var cipher = RecordCipher.Create(CipherSuite.ChaCha20Poly1305, Convert.FromHexString(Key8439));
        byte[] plaintext = System.Text.Encoding.ASCII.GetBytes(Plaintext8439);
        byte[] buffer = new byte[plaintext.Length + RecordFormat.TagSizeBytes];
        plaintext.CopyTo(buffer, 0);

        cipher.Seal(Convert.FromHexString(Nonce8439), Convert.FromHexString(Aad8439), buffer.AsSpan(0, plaintext.Length), buffer);

        Assert.Equal(Ciphertext8439 + Tag8439, Convert.ToHexStringLower(buffer));
        Assert.True(cipher.TryOpen(Convert.FromHexString(Nonce8439), Convert.FromHexString(Aad8439), buffer, buffer.AsSpan(0, plaintext.Length)));
        Assert.Equal(plaintext, buffer[..plaintext.Length]);
    }

    [Theory]
    // RFC 5869 appendix A.1 (basic) and A.3 (no salt, no info): IKM, salt, info, PRK, OKM (42 bytes).
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
        "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
        "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")]
    public void Hkdf_Rfc5869_ExtractThenExpand(string ikm, string salt, string info, string prk, string okm)
    {
        byte[] actualPrk = new byte[Hkdf.PrkSizeBytes];
        Hkdf.Extract(Convert.FromHexString(ikm), Convert.FromHexString(salt), actualPrk);
        Assert.Equal(prk, Convert.ToHexStringLower(actualPrk));

        byte[] actualOkm = new byte[42];
        Hkdf.Expand(actualPrk, Convert.FromHexString(info), actualOkm);
        Assert.Equal(okm, Convert.ToHexStringLower(actualOkm));
    }
}
