using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using System.Runtime.Intrinsics;
using NSec.Cryptography;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>
/// Our AEGIS-256 (<see cref="Aegis256Aead"/>): every AEGIS-256 vector of
/// draft-irtf-cfrg-aegis-aead with both tag lengths, the same ciphertext and 256-bit tag as
/// libsodium's independent implementation (through NSec) for any lengths, and through
/// <see cref="RecordCipher"/>: in place, every flipped bit rejected, a failed open leaves zeros;
/// a bad tag or nonce length refused (record-level shapes and disposal: RecordCipherTests).
/// </summary>
public sealed class Aegis256Tests
{
    private const string DraftKey = "1001000000000000000000000000000000000000000000000000000000000000";
    private const string DraftNonce = "1000020000000000000000000000000000000000000000000000000000000000";

    // draft-irtf-cfrg-aegis-aead, "AEGIS-256 Test Vectors", 1 to 5: key, nonce, ad, msg, ct, tag128, tag256.
    public static TheoryData<string, string, string, string, string, string, string> DraftVectors() => new()
    {
        { DraftKey, DraftNonce, "", "00000000000000000000000000000000", "754fc3d8c973246dcc6d741412a4b236",
            "3fe91994768b332ed7f570a19ec5896e", "1181a1d18091082bf0266f66297d167d2e68b845f61a3b0527d31fc7b7b89f13" },
        { DraftKey, DraftNonce, "", "", "",
            "e3def978a0f054afd1e761d7553afba3", "6a348c930adbd654896e1666aad67de989ea75ebaa2b82fb588977b1ffec864a" },
        { DraftKey, DraftNonce, "0001020304050607", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "f373079ed84b2709faee373584585d60accd191db310ef5d8b11833df9dec711",
            "8d86f91ee606e9ff26a01b64ccbdd91d", "b7d28d0c3c0ebd409fd22b44160503073a547412da0854bfb9723020dab8da1a" },
        { DraftKey, DraftNonce, "0001020304050607", "000102030405060708090a0b0c0d", "f373079ed84b2709faee37358458",
            "c60b9c2d33ceb058f96e6dd03c215652", "8c1cc703c81281bee3f6d9966e14948b4a175b2efbdc31e61a98b4465235c2d9" },
        { DraftKey, DraftNonce, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
            "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
            "57754a7d09963e7c787583a2e7b859bb24fa1e04d49fd550b2511a358e3bca252a9b1b8b30cc4a67",
            "ab8a7d53fd0e98d727accca94925e128", "a3aca270c006094d71c20e6910b5161c0826df233d08919a566ec2c05990f734" },
    };

    // Vectors 6 to 9, which must fail: key and nonce swapped, a ciphertext bit, an associated-data bit, a tag bit.
    public static TheoryData<string, string, string, string, string, string> DraftForgeries() => new()
    {
        { "1000020000000000000000000000000000000000000000000000000000000000", "1001000000000000000000000000000000000000000000000000000000000000",
            "0001020304050607", "f373079ed84b2709faee37358458",
            "c60b9c2d33ceb058f96e6dd03c215652", "8c1cc703c81281bee3f6d9966e14948b4a175b2efbdc31e61a98b4465235c2d9" },
        { DraftKey, DraftNonce, "0001020304050607", "f373079ed84b2709faee37358459",
            "c60b9c2d33ceb058f96e6dd03c215652", "8c1cc703c81281bee3f6d9966e14948b4a175b2efbdc31e61a98b4465235c2d9" },
        { DraftKey, DraftNonce, "0001020304050608", "f373079ed84b2709faee37358458",
            "c60b9c2d33ceb058f96e6dd03c215652", "8c1cc703c81281bee3f6d9966e14948b4a175b2efbdc31e61a98b4465235c2d9" },
        { DraftKey, DraftNonce, "0001020304050607", "f373079ed84b2709faee37358458",
            "c60b9c2d33ceb058f96e6dd03c215653", "8c1cc703c81281bee3f6d9966e14948b4a175b2efbdc31e61a98b4465235c2da" },
    };

    [AesNiTheory]
    [MemberData(nameof(DraftVectors))]
    public void DraftVectors_SealAndOpen_WithBothTagLengths(string key, string nonce, string ad, string msg, string ct, string tag128, string tag256)
    {
        foreach (string expectedTag in new[] { tag128, tag256 })
        {
            byte[] ciphertext = new byte[msg.Length / 2];
            byte[] tag = new byte[expectedTag.Length / 2];
            Aegis256Aead.Seal(Hex(key), Hex(nonce), Hex(ad), Hex(msg), ciphertext, tag);
            Assert.Equal(ct, Convert.ToHexStringLower(ciphertext));
            Assert.Equal(expectedTag, Convert.ToHexStringLower(tag));

            byte[] opened = new byte[ciphertext.Length];
            Assert.True(Aegis256Aead.TryOpen(Hex(key), Hex(nonce), Hex(ad), ciphertext, tag, opened));
            Assert.Equal(msg, Convert.ToHexStringLower(opened));
        }
    }

    [AesNiTheory]
    [MemberData(nameof(DraftForgeries))]
    public void DraftForgeries_AreRejected_AndLeaveZeros(string key, string nonce, string ad, string ct, string tag128, string tag256)
    {
        foreach (string tag in new[] { tag128, tag256 })
        {
            byte[] opened = Enumerable.Repeat((byte)0xAA, ct.Length / 2).ToArray();
            Assert.False(Aegis256Aead.TryOpen(Hex(key), Hex(nonce), Hex(ad), Hex(ct), Hex(tag), opened));
            Assert.All(opened, b => Assert.Equal(0, b));
        }
    }

    /// <summary>libsodium's AEGIS-256 (256-bit tags only) is a second implementation: same
    /// ciphertext, same tag, for lengths around every block edge and the data plane's sizes.</summary>
    [Property(MaxTest = 300)]
    public Property SameBytesAsLibsodium_ForAnyLengths()
    {
        Gen<int> lengths = Gen.Frequency((6, Gen.Choose(0, 80)), (3, Gen.Choose(0, 1500)), (1, Gen.Choose(60_000, 65_536)));
        Gen<(int Length, int Associated, int Seed)> inputs =
            from length in lengths
            from associated in Gen.Choose(0, 48)
            from seed in Gen.Choose(0, int.MaxValue)
            select (length, associated, seed);
        return Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            if (!Aegis256Aead.IsSupported)
            {
                return true;
            }
            (int length, int associatedLength, int seed) = input;
            var random = new Random(seed);
            byte[] key = Bytes(random, 32), nonce = Bytes(random, 32), associated = Bytes(random, associatedLength), plaintext = Bytes(random, length);
            using var libsodiumKey = Key.Import(AeadAlgorithm.Aegis256, key, KeyBlobFormat.RawSymmetricKey);
            byte[] expected = AeadAlgorithm.Aegis256.Encrypt(libsodiumKey, nonce, associated, plaintext);

            byte[] ours = new byte[length + Aegis256Aead.LongTagBytes];
            Aegis256Aead.Seal(key, nonce, associated, plaintext, ours.AsSpan(0, length), ours.AsSpan(length));
            byte[] opened = new byte[length];
            bool opens = Aegis256Aead.TryOpen(key, nonce, associated, expected.AsSpan(0, length), expected.AsSpan(length), opened);
            Assert.True(expected.AsSpan().SequenceEqual(ours) && opens && opened.AsSpan().SequenceEqual(plaintext),
                $"differs from libsodium: length {length}, associated {associatedLength}, seed {seed}");
            return true;
        });
    }

    /// <summary>A message in two parts (a head of whole blocks, in place or apart, and a body apart)
    /// seals to exactly the ciphertext and tag of the whole message in one piece.</summary>
    [Property(MaxTest = 200)]
    public Property TwoParts_SealAsTheWholeMessage()
    {
        Gen<(int HeadBlocks, int Body, bool HeadInPlace, int Seed)> inputs =
            from headBlocks in Gen.Choose(0, 3)
            from body in Gen.Frequency((6, Gen.Choose(0, 80)), (3, Gen.Choose(0, 1500)))
            from headInPlace in Gen.Elements(true, false)
            from seed in Gen.Choose(0, int.MaxValue)
            select (headBlocks, body, headInPlace, seed);
        return Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            if (!Aegis256Aead.IsSupported)
            {
                return true;
            }
            (int headBlocks, int bodyLength, bool headInPlace, int seed) = input;
            var random = new Random(seed);
            byte[] key = Bytes(random, 32), nonce = Bytes(random, 32), associated = Bytes(random, 13);
            byte[] head = Bytes(random, headBlocks * 16), body = Bytes(random, bodyLength);
            byte[] whole = [.. head, .. body];
            byte[] expected = new byte[whole.Length + 16];
            Aegis256Aead.Seal(key, nonce, associated, whole, expected.AsSpan(0, whole.Length), expected.AsSpan(whole.Length));

            byte[] output = new byte[whole.Length + 16];
            ReadOnlySpan<byte> headSource = head;
            if (headInPlace)
            {
                head.CopyTo(output, 0);
                headSource = output.AsSpan(0, head.Length);
            }
            Aegis256Aead.Seal(key, Vector128.Create(nonce.AsSpan(0, 16)), Vector128.Create(nonce.AsSpan(16)), associated,
                headSource, body, output.AsSpan(0, whole.Length), output.AsSpan(whole.Length));
            Assert.True(expected.AsSpan().SequenceEqual(output),
                $"two parts differ from the whole: head {head.Length}, body {bodyLength}, head in place {headInPlace}, seed {seed}");
            return true;
        });
    }

    [AesNiFact]
    public void TwoParts_BadShapes_AreRefusedWithAClearError()
    {
        byte[] key = new byte[32], output = new byte[100], tag = new byte[16];
        Vector128<byte> nonce = Vector128<byte>.Zero;

        var partialHead = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(key, nonce, nonce, [], new byte[10], new byte[20], output.AsSpan(0, 30), tag));
        Assert.Contains("whole 16-byte blocks", partialHead.Message, StringComparison.Ordinal);
        var length = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(key, nonce, nonce, [], new byte[16], new byte[20], output.AsSpan(0, 35), tag));
        Assert.Contains("as long as the plaintext (36 bytes)", length.Message, StringComparison.Ordinal);
        var bodyMisplaced = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(key, nonce, nonce, [], new byte[16], output.AsSpan(0, 20), output.AsSpan(0, 36), tag));
        Assert.Contains("overlap", bodyMisplaced.Message, StringComparison.Ordinal);
        var headMisplaced = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(key, nonce, nonce, [], output.AsSpan(4, 16), new byte[20], output.AsSpan(0, 36), tag));
        Assert.Contains("overlap", headMisplaced.Message, StringComparison.Ordinal);
    }

    /// <summary>RecordCipher pads our 12-byte nonce with 20 zeros: the ciphertext is libsodium's
    /// for that nonce; the tag is the 128-bit one; in place; any flipped bit is rejected.</summary>
    [AesNiTheory]
    [InlineData(0, 0)]
    [InlineData(1, 14)]
    [InlineData(15, 8)]
    [InlineData(16, 22)]
    [InlineData(1400, 22)]
    [InlineData(65_483, 22)]
    public void RecordCipher_PadsTheNonce_InPlace_AndEveryFlippedBitRejected(int length, int associatedLength)
    {
        var random = new Random(length * 31 + associatedLength);
        byte[] key = Bytes(random, 32), nonce = Bytes(random, 12), associated = Bytes(random, associatedLength), plaintext = Bytes(random, length);
        byte[] paddedNonce = new byte[32];
        nonce.CopyTo(paddedNonce, 0);
        using var libsodiumKey = Key.Import(AeadAlgorithm.Aegis256, key, KeyBlobFormat.RawSymmetricKey);
        byte[] libsodium = AeadAlgorithm.Aegis256.Encrypt(libsodiumKey, paddedNonce, associated, plaintext);
        byte[] shortTag = new byte[16];
        Aegis256Aead.Seal(key, paddedNonce, associated, plaintext, new byte[length], shortTag);
        using var cipher = RecordCipher.Create(CipherSuite.Aegis256, key);

        byte[] buffer = new byte[length + RecordFormat.TagSizeBytes];
        plaintext.CopyTo(buffer, 0);
        cipher.Seal(nonce, associated, buffer.AsSpan(0, length), buffer);

        Assert.Equal(libsodium.AsSpan(0, length).ToArray(), buffer.AsSpan(0, length).ToArray());
        Assert.Equal(shortTag, buffer.AsSpan(length).ToArray());
        byte[] sealedCopy = (byte[])buffer.Clone();
        Assert.True(cipher.TryOpen(nonce, associated, buffer, buffer.AsSpan(0, length)));
        Assert.Equal(plaintext, buffer.AsSpan(0, length).ToArray());
        foreach (int bit in new[] { 0, sealedCopy.Length * 8 / 2, sealedCopy.Length * 8 - 1 })
        {
            byte[] tampered = (byte[])sealedCopy.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            byte[] opened = Enumerable.Repeat((byte)0xAA, length).ToArray();
            Assert.False(cipher.TryOpen(nonce, associated, tampered, opened), $"bit {bit} flipped was accepted");
            Assert.All(opened, b => Assert.Equal(0, b));
        }
        if (associatedLength > 0)
        {
            byte[] otherAssociated = (byte[])associated.Clone();
            otherAssociated[^1] ^= 0x80;
            Assert.False(cipher.TryOpen(nonce, otherAssociated, sealedCopy, new byte[length]));
        }
        byte[] otherNonce = (byte[])nonce.Clone();
        otherNonce[^1] ^= 1;
        Assert.False(cipher.TryOpen(otherNonce, associated, sealedCopy, new byte[length]));
    }

    /// <summary>AEGIS-256's own refusals (the record-level ones for both AES-NI ciphers are in RecordCipherTests).</summary>
    [AesNiFact]
    public void BadTagOrNonce_AreRefusedWithAClearError()
    {
        var badTag = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(new byte[32], new byte[32], [], [], [], new byte[8]));
        Assert.Contains("tag", badTag.Message, StringComparison.Ordinal);
        var badAeadNonce = Assert.Throws<ArgumentException>(() => Aegis256Aead.Seal(new byte[32], new byte[12], [], [], [], new byte[16]));
        Assert.Contains("nonce is 32 bytes, not 12", badAeadNonce.Message, StringComparison.Ordinal);
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static byte[] Bytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
