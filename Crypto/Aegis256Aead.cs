using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Weave.Crypto;

/// <summary>
/// AEGIS-256 as draft-irtf-cfrg-aegis-aead specifies it: a 256-bit key, a 256-bit nonce, a state
/// of six AES blocks updated by one AES round each per 16 bytes of input, and a 128- or 256-bit
/// tag. Written here on the AES round instruction (AES-NI) because libsodium offers AEGIS-256
/// only with a 256-bit tag, and our records have 16 bytes for the tag (docs/encryption.md).
/// Constant time by construction: no table lookups, no branch on secret bytes.
/// </summary>
internal static class Aegis256Aead
{
    public const int KeySizeBytes = 32;
    public const int NonceSizeBytes = 32;
    public const int ShortTagBytes = 16;
    public const int LongTagBytes = 32;
    public const int BlockBytes = 16;

    /// <summary>The draft's constants: the Fibonacci sequence modulo 256, in two blocks.</summary>
    private static ReadOnlySpan<byte> C0Bytes => [0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d, 0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62];
    private static ReadOnlySpan<byte> C1Bytes => [0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1, 0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd];

    /// <summary>The CPU has the AES round instruction this implementation is written on.</summary>
    public static bool IsSupported => X86Aes.IsSupported;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length;
    /// the same bytes for in place, no other overlap) and writes the tag (16 or 32 bytes).</summary>
    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckNonce(nonce);
        Seal(key, Vector128.Create(nonce[..BlockBytes]), Vector128.Create(nonce[BlockBytes..]), associatedData, default, plaintext, ciphertext, tag);
    }

    /// <summary>
    /// Encrypts the message <paramref name="head"/> followed by <paramref name="body"/> into
    /// <paramref name="ciphertext"/> (as long as both) and writes the tag: a message in two places
    /// sealed without first copying it into one. The head is whole 16-byte blocks; each part may be
    /// where its ciphertext goes (in place) or apart from it. The nonce is given as its two blocks.
    /// </summary>
    public static void Seal(ReadOnlySpan<byte> key, Vector128<byte> nonceFirst, Vector128<byte> nonceSecond, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckShapes(key, head, body, ciphertext, tag);
        Init(key, nonceFirst, nonceSecond, out var s0, out var s1, out var s2, out var s3, out var s4, out var s5);
        Absorb(associatedData, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        ref byte destination = ref MemoryMarshal.GetReference(ciphertext);
        CryptBlocks(decrypt: false, ref MemoryMarshal.GetReference(head), ref destination, head.Length, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        destination = ref Unsafe.Add(ref destination, head.Length);
        int whole = body.Length & ~(BlockBytes - 1);
        CryptBlocks(decrypt: false, ref MemoryMarshal.GetReference(body), ref destination, whole, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        if (whole < body.Length)
        {
            Vector128<byte> block = LoadPadded(body[whole..]);
            Vector128<byte> keystream = (s1 ^ s4) ^ (s5 ^ (s2 & s3));
            Update(block, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
            StorePartial(block ^ keystream, ciphertext[(head.Length + whole)..]);
        }
        WriteTag(Finalize(associatedData.Length, ciphertext.Length, tag.Length, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5), tag);
    }

    /// <summary>Decrypts <paramref name="ciphertext"/> into <paramref name="plaintext"/> and checks
    /// <paramref name="tag"/> in constant time. False when it does not match; the plaintext is then
    /// zeroed, so no unauthenticated byte is ever left for the caller.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        CheckNonce(nonce);
        return TryOpen(key, Vector128.Create(nonce[..BlockBytes]), Vector128.Create(nonce[BlockBytes..]), associatedData, ciphertext, tag, plaintext);
    }

    /// <summary>As the other TryOpen, with the nonce given as its two blocks.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, Vector128<byte> nonceFirst, Vector128<byte> nonceSecond, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        CheckShapes(key, default, plaintext, ciphertext, tag);
        Init(key, nonceFirst, nonceSecond, out var s0, out var s1, out var s2, out var s3, out var s4, out var s5);
        Absorb(associatedData, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        ref byte source = ref MemoryMarshal.GetReference(ciphertext);
        ref byte destination = ref MemoryMarshal.GetReference(plaintext);
        int whole = ciphertext.Length & ~(BlockBytes - 1);
        CryptBlocks(decrypt: true, ref source, ref destination, whole, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        if (whole < ciphertext.Length)
        {
            Span<byte> tail = plaintext[whole..];
            StorePartial(LoadPadded(ciphertext[whole..]) ^ (s1 ^ s4) ^ (s5 ^ (s2 & s3)), tail);
            Update(LoadPadded(tail), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        }
        if (TagMatches(Finalize(associatedData.Length, ciphertext.Length, tag.Length, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5), tag))
        {
            return true;
        }
        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSizeBytes)
        {
            throw new ArgumentException($"an AEGIS-256 nonce is {NonceSizeBytes} bytes, not {nonce.Length}", nameof(nonce));
        }
    }

    /// <summary>The ciphertext is as long as the head and the body together; each of them either
    /// is its own ciphertext's place (in place) or does not overlap the ciphertext.</summary>
    private static void CheckShapes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body,
        ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AEGIS-256 needs the CPU's AES round instruction (AES-NI)");
        }
        if (key.Length != KeySizeBytes)
        {
            throw new ArgumentException($"an AEGIS-256 key is {KeySizeBytes} bytes, not {key.Length}", nameof(key));
        }
        if (tag.Length is not (ShortTagBytes or LongTagBytes))
        {
            throw new ArgumentException($"an AEGIS-256 tag is {ShortTagBytes} or {LongTagBytes} bytes, not {tag.Length}", nameof(tag));
        }
        if (head.Length % BlockBytes != 0)
        {
            throw new ArgumentException($"the head of a message is whole {BlockBytes}-byte blocks, not {head.Length} bytes", nameof(head));
        }
        if (ciphertext.Length != head.Length + body.Length)
        {
            throw new ArgumentException($"the ciphertext is as long as the plaintext ({head.Length + body.Length} bytes), not {ciphertext.Length}");
        }
        if ((head.Overlaps(ciphertext, out int headAt) && headAt != 0) || (body.Overlaps(ciphertext, out int bodyAt) && bodyAt != head.Length))
        {
            throw new ArgumentException("the plaintext and the ciphertext overlap without starting at the same byte");
        }
    }

    // The state S0..S5 is six locals of the caller, passed by reference only into helpers that are
    // all inlined, so the JIT keeps it in registers. One helper not inlined (or a struct holding
    // the state) puts it in memory, and that halved the speed.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Init(ReadOnlySpan<byte> key, Vector128<byte> n0, Vector128<byte> n1, out Vector128<byte> s0, out Vector128<byte> s1,
        out Vector128<byte> s2, out Vector128<byte> s3, out Vector128<byte> s4, out Vector128<byte> s5)
    {
        Vector128<byte> k0 = Vector128.Create(key[..BlockBytes]);
        Vector128<byte> k1 = Vector128.Create(key[BlockBytes..]);
        Vector128<byte> c0 = Vector128.Create(C0Bytes);
        Vector128<byte> c1 = Vector128.Create(C1Bytes);
        Vector128<byte> k0n0 = k0 ^ n0;
        Vector128<byte> k1n1 = k1 ^ n1;
        s0 = k0n0;
        s1 = k1n1;
        s2 = c1;
        s3 = c0;
        s4 = k0 ^ c0;
        s5 = k1 ^ c1;
        // Sixteen updates with k0, k1, k0 ^ n0, k1 ^ n1 in turn.
        SixUpdates(k0, k1, k0n0, k1n1, k0, k1, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        SixUpdates(k0n0, k1n1, k0, k1, k0n0, k1n1, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        Update(k0, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        Update(k1, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        Update(k0n0, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        Update(k1n1, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
    }

    /// <summary>S'0 = AESRound(S5, S0 ^ M), S'i = AESRound(S(i-1), Si); AESENC is exactly AESRound.
    /// The round key is added last, so AESRound(S5, S0 ^ M) = AESRound(S5, S0) ^ M: written that way
    /// the AES round does not wait for M. The bulk of a message goes through
    /// <see cref="UpdateRotating"/>, six blocks at a time; this form serves the updates left over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector128<byte> message, ref Vector128<byte> s0, ref Vector128<byte> s1, ref Vector128<byte> s2,
        ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        Vector128<byte> next0 = X86Aes.Encrypt(s5, s0) ^ message;
        Vector128<byte> next1 = X86Aes.Encrypt(s0, s1);
        Vector128<byte> next2 = X86Aes.Encrypt(s1, s2);
        Vector128<byte> next3 = X86Aes.Encrypt(s2, s3);
        Vector128<byte> next4 = X86Aes.Encrypt(s3, s4);
        s5 = X86Aes.Encrypt(s4, s5);
        s0 = next0;
        s1 = next1;
        s2 = next2;
        s3 = next3;
        s4 = next4;
    }

    private const int SixBlocks = 6 * BlockBytes;

    /// <summary>
    /// The update written over the state it consumes: S'1 over S0, S'2 over S1, ..., S'5 over S4,
    /// S'0 over S5, so on return the state S0..S5 is (s5, s0, s1, s2, s3, s4), and six calls with the
    /// roles rotated bring it back in place. Why: the Native AOT router is compiled for x86-64
    /// without AVX, whose AESENC overwrites its input; <see cref="Update"/>'s form made the JIT copy
    /// every input first and move every result back. M joins S0 before the round here, so the
    /// round waits for M; keeping it after would cost a copy per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRotating(Vector128<byte> message, ref Vector128<byte> s0, ref Vector128<byte> s1, ref Vector128<byte> s2,
        ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        Vector128<byte> key0 = s0 ^ message;
        s0 = X86Aes.Encrypt(s0, s1);
        s1 = X86Aes.Encrypt(s1, s2);
        s2 = X86Aes.Encrypt(s2, s3);
        s3 = X86Aes.Encrypt(s3, s4);
        s4 = X86Aes.Encrypt(s4, s5);
        s5 = X86Aes.Encrypt(s5, key0);
    }

    /// <summary>Six updates with the messages <paramref name="m0"/> to <paramref name="m5"/> in turn, the
    /// roles rotating (<see cref="UpdateRotating"/>), so the state ends where it began.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SixUpdates(Vector128<byte> m0, Vector128<byte> m1, Vector128<byte> m2, Vector128<byte> m3, Vector128<byte> m4, Vector128<byte> m5,
        ref Vector128<byte> s0, ref Vector128<byte> s1, ref Vector128<byte> s2, ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        UpdateRotating(m0, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        UpdateRotating(m1, ref s5, ref s0, ref s1, ref s2, ref s3, ref s4);
        UpdateRotating(m2, ref s4, ref s5, ref s0, ref s1, ref s2, ref s3);
        UpdateRotating(m3, ref s3, ref s4, ref s5, ref s0, ref s1, ref s2);
        UpdateRotating(m4, ref s2, ref s3, ref s4, ref s5, ref s0, ref s1);
        UpdateRotating(m5, ref s1, ref s2, ref s3, ref s4, ref s5, ref s0);
    }

    /// <summary>Encrypts (or with <paramref name="decrypt"/> decrypts) <paramref name="length"/> bytes,
    /// whole blocks, from <paramref name="source"/> to <paramref name="destination"/>; the state
    /// takes in the plaintext. Six blocks at a time with the roles rotating, the rest one by one.
    /// <paramref name="decrypt"/> is a constant at every call, so each inlined copy keeps one branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CryptBlocks(bool decrypt, ref byte source, ref byte destination, int length, ref Vector128<byte> s0, ref Vector128<byte> s1,
        ref Vector128<byte> s2, ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        int i = 0;
        for (; i + SixBlocks <= length; i += SixBlocks)
        {
            CryptRotating(decrypt, ref source, ref destination, i, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
            CryptRotating(decrypt, ref source, ref destination, i + BlockBytes, ref s5, ref s0, ref s1, ref s2, ref s3, ref s4);
            CryptRotating(decrypt, ref source, ref destination, i + 2 * BlockBytes, ref s4, ref s5, ref s0, ref s1, ref s2, ref s3);
            CryptRotating(decrypt, ref source, ref destination, i + 3 * BlockBytes, ref s3, ref s4, ref s5, ref s0, ref s1, ref s2);
            CryptRotating(decrypt, ref source, ref destination, i + 4 * BlockBytes, ref s2, ref s3, ref s4, ref s5, ref s0, ref s1);
            CryptRotating(decrypt, ref source, ref destination, i + 5 * BlockBytes, ref s1, ref s2, ref s3, ref s4, ref s5, ref s0);
        }
        for (; i < length; i += BlockBytes)
        {
            Vector128<byte> input = Vector128.LoadUnsafe(ref source, (nuint)i);
            Vector128<byte> output = (input ^ (s1 ^ s4)) ^ (s5 ^ (s2 & s3));
            Update(decrypt ? output : input, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
            output.StoreUnsafe(ref destination, (nuint)i);
        }
    }

    /// <summary>One block of <see cref="CryptBlocks"/> with <see cref="UpdateRotating"/>. The keystream
    /// z = S1 ^ S4 ^ S5 ^ (S2 & S3) is grouped so that it costs two steps after the state, not four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CryptRotating(bool decrypt, ref byte source, ref byte destination, int offset, ref Vector128<byte> s0, ref Vector128<byte> s1,
        ref Vector128<byte> s2, ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        Vector128<byte> input = Vector128.LoadUnsafe(ref source, (nuint)offset);
        Vector128<byte> output = (input ^ (s1 ^ s4)) ^ (s5 ^ (s2 & s3));
        output.StoreUnsafe(ref destination, (nuint)offset);
        UpdateRotating(decrypt ? output : input, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Absorb(ReadOnlySpan<byte> associatedData, ref Vector128<byte> s0, ref Vector128<byte> s1,
        ref Vector128<byte> s2, ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        int whole = associatedData.Length & ~(BlockBytes - 1);
        for (int i = 0; i < whole; i += BlockBytes)
        {
            Update(Vector128.Create(associatedData.Slice(i, BlockBytes)), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        }
        if (whole < associatedData.Length)
        {
            Update(LoadPadded(associatedData[whole..]), ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        }
    }

    /// <summary>Up to 15 bytes, zero-padded to a block, byte by byte: a call (a memory copy) while
    /// the state is live would make the JIT spill the state around it (every vector register is
    /// caller-saved on Linux x64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadPadded(ReadOnlySpan<byte> bytes)
    {
        ulong low = 0, high = 0;
        for (int i = 0; i < bytes.Length && i < 8; i++)
        {
            low |= (ulong)bytes[i] << (8 * i);
        }
        for (int i = 8; i < bytes.Length && i < BlockBytes; i++)
        {
            high |= (ulong)bytes[i] << (8 * (i - 8));
        }
        return Vector128.Create(low, high).AsByte();
    }

    /// <summary>The first <paramref name="destination"/>.Length (under 16) bytes of a block, byte by byte, for the same reason.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial(Vector128<byte> block, Span<byte> destination)
    {
        ulong low = block.AsUInt64().GetElement(0), high = block.AsUInt64().GetElement(1);
        for (int i = 0; i < destination.Length && i < 8; i++)
        {
            destination[i] = (byte)(low >> (8 * i));
        }
        for (int i = 8; i < destination.Length && i < BlockBytes; i++)
        {
            destination[i] = (byte)(high >> (8 * (i - 8)));
        }
    }

    /// <summary>Seven updates with S3 ^ (LE64 of the associated data's bits || LE64 of the message's
    /// bits), then the tag: S0 ^ ... ^ S5 (16 bytes), or S0 ^ S1 ^ S2 then S3 ^ S4 ^ S5 (32 bytes).
    /// Vector128.Create lays the two counts out little-endian: x86 is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<byte> First, Vector128<byte> Second) Finalize(int associatedBytes, int messageBytes, int tagBytes,
        ref Vector128<byte> s0, ref Vector128<byte> s1, ref Vector128<byte> s2, ref Vector128<byte> s3, ref Vector128<byte> s4, ref Vector128<byte> s5)
    {
        Vector128<byte> t = s3 ^ Vector128.Create((ulong)associatedBytes * 8, (ulong)messageBytes * 8).AsByte();
        SixUpdates(t, t, t, t, t, t, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        Update(t, ref s0, ref s1, ref s2, ref s3, ref s4, ref s5);
        return tagBytes == ShortTagBytes
            ? (s0 ^ s1 ^ s2 ^ s3 ^ s4 ^ s5, Vector128<byte>.Zero)
            : (s0 ^ s1 ^ s2, s3 ^ s4 ^ s5);
    }

    /// <summary>
    /// Compares the tag made with the one received in constant time: the differences of all tag
    /// bytes are OR-ed into one vector and only that is tested, so the time does not depend on
    /// where a byte differs. (CryptographicOperations.FixedTimeEquals does the same byte by byte,
    /// unoptimised on purpose: too slow for every datagram.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TagMatches((Vector128<byte> First, Vector128<byte> Second) made, ReadOnlySpan<byte> tag)
    {
        Vector128<byte> difference = made.First ^ Vector128.Create(tag[..BlockBytes]);
        if (tag.Length == LongTagBytes)
        {
            difference |= made.Second ^ Vector128.Create(tag[BlockBytes..]);
        }
        return difference == Vector128<byte>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteTag((Vector128<byte> First, Vector128<byte> Second) made, Span<byte> tag)
    {
        made.First.CopyTo(tag);
        if (tag.Length == LongTagBytes)
        {
            made.Second.CopyTo(tag[BlockBytes..]);
        }
    }
}
