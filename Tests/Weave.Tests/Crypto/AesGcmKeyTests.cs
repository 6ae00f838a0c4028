using NSec.Cryptography;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>
/// <see cref="RecordCipher"/>'s AES-256-GCM with the key expanded once (libsodium's precomputed
/// state, called directly): the GCM specification's vector, the same bytes as NSec's per-call
/// AEAD for every length the data plane uses, in place, tampering (bad shapes and disposal: RecordCipherTests, with AEGIS-256).
/// </summary>
public sealed class AesGcmKeyTests
{
    // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV, with AAD).
    private const string Key16 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    private const string Iv16 = "cafebabefacedbaddecaf888";
    private const string Aad16 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    private const string Plaintext16 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    private const string Ciphertext16 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
    private const string Tag16 = "76fc6ece0f4e1768cddf8853bb2d551b";

    [AesNiFact]
    public void GcmSpecTestCase16_SealsAndOpens()
    {
        using var cipher = RecordCipher.Create(CipherSuite.Aes256Gcm, Convert.FromHexString(Key16));
        byte[] plaintext = Convert.FromHexString(Plaintext16);
        byte[] sealedBytes = new byte[plaintext.Length + RecordFormat.TagSizeBytes];

        cipher.Seal(Convert.FromHexString(Iv16), Convert.FromHexString(Aad16), plaintext, sealedBytes);

        Assert.Equal(Ciphertext16 + Tag16, Convert.ToHexStringLower(sealedBytes));
        byte[] opened = new byte[plaintext.Length];
        Assert.True(cipher.TryOpen(Convert.FromHexString(Iv16), Convert.FromHexString(Aad16), sealedBytes, opened));
        Assert.Equal(Plaintext16, Convert.ToHexStringLower(opened));
    }

    [AesNiTheory]
    [InlineData(0, 0)]
    [InlineData(1, 14)]
    [InlineData(15, 8)]
    [InlineData(16, 14)]
    [InlineData(1400, 14)]
    [InlineData(65_483, 14)]
    public void SameBytesAsNSecPerCallAead_InPlace_AndEveryFlippedBitRejected(int length, int associatedLength)
    {
        var random = new Random(length * 31 + associatedLength);
        byte[] key = Bytes(random, 32);
        byte[] nonce = Bytes(random, 12);
        byte[] associated = Bytes(random, associatedLength);
        byte[] plaintext = Bytes(random, length);
        using var nsecKey = Key.Import(AeadAlgorithm.Aes256Gcm, key, KeyBlobFormat.RawSymmetricKey);
        byte[] expected = AeadAlgorithm.Aes256Gcm.Encrypt(nsecKey, nonce, associated, plaintext);
        using var cipher = RecordCipher.Create(CipherSuite.Aes256Gcm, key);

        byte[] buffer = new byte[length + RecordFormat.TagSizeBytes];
        plaintext.CopyTo(buffer, 0);
        cipher.Seal(nonce, associated, buffer.AsSpan(0, length), buffer); // in place

        Assert.Equal(expected, buffer);
        byte[] sealedCopy = (byte[])buffer.Clone();
        Assert.True(cipher.TryOpen(nonce, associated, buffer, buffer.AsSpan(0, length)));
        Assert.Equal(plaintext, buffer.AsSpan(0, length).ToArray());
        foreach (int bit in new[] { 0, sealedCopy.Length * 8 / 2, sealedCopy.Length * 8 - 1 })
        {
            byte[] tampered = (byte[])sealedCopy.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(cipher.TryOpen(nonce, associated, tampered, new byte[length]), $"bit {bit} flipped was accepted");
        }
        if (associatedLength > 0)
        {
            byte[] otherAssociated = (byte[])associated.Clone();
            otherAssociated[0] ^= 1;
            Assert.False(cipher.TryOpen(nonce, otherAssociated, sealedCopy, new byte[length]));
        }
    }

    private static byte[] Bytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
