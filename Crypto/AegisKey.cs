using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Weave.Crypto;

/// <summary>
/// An AEGIS-256 key for <see cref="RecordCipher"/>: the 32 key bytes in native memory, zeroed
/// before they are freed, and freed only once no call is using them (a <see cref="SafeHandle"/>,
/// as <see cref="AesGcmKey"/>). So a data thread still holding a retired key never seals under
/// zeroed bytes (which would be a known key): a call after disposal throws instead. Takes our
/// 12-byte nonce and gives AEGIS-256 that nonce followed by 20 zero bytes.
/// </summary>
internal sealed unsafe class AegisKey : SafeHandle
{
    /// <summary>An empty (invalid) handle; <see cref="Create"/> makes a usable one.</summary>
    public AegisKey()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Keeps a copy of <paramref name="key"/> (32 bytes). The caller checked <see cref="Aegis256Aead.IsSupported"/>.</summary>
    public static AegisKey Create(ReadOnlySpan<byte> key)
    {
        if (key.Length != Aegis256Aead.KeySizeBytes)
        {
            throw new ArgumentException($"an AEGIS-256 key is {Aegis256Aead.KeySizeBytes} bytes, not {key.Length}", nameof(key));
        }
        var created = new AegisKey();
        void* bytes = NativeMemory.Alloc(Aegis256Aead.KeySizeBytes);
        created.SetHandle((IntPtr)bytes);
        key.CopyTo(new Span<byte>(bytes, Aegis256Aead.KeySizeBytes));
        return created;
    }

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="sealedOutput"/> (the
    /// ciphertext, then the 16-byte tag); in place when both start at the same byte.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        Seal(PaddedNonce(nonce), associatedData, default, plaintext, sealedOutput);

    /// <summary>Seals under our nonce for <paramref name="counter"/> (<see cref="RecordCipher.WriteNonce"/>)
    /// the message <paramref name="head"/> (whole 16-byte blocks) followed by <paramref name="body"/>;
    /// each part may already lie where its ciphertext goes.</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> sealedOutput) =>
        Seal(CounterNonce(counter), associatedData, head, body, sealedOutput);

    /// <summary>Opens <paramref name="sealedInput"/> (ciphertext then tag) into
    /// <paramref name="plaintext"/> (16 bytes shorter; in place allowed). False when the tag does
    /// not match; the plaintext is then zeroed.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        TryOpen(PaddedNonce(nonce), associatedData, sealedInput, plaintext);

    /// <summary>As the other TryOpen, under our nonce for <paramref name="counter"/>.</summary>
    public bool TryOpen(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        TryOpen(CounterNonce(counter), associatedData, sealedInput, plaintext);

    private void Seal(Vector128<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> sealedOutput)
    {
        int messageLength = head.Length + body.Length;
        CheckSealedLength(messageLength, sealedOutput.Length);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            Aegis256Aead.Seal(Key, nonce, Vector128<byte>.Zero, associatedData, head, body, sealedOutput[..messageLength], sealedOutput[messageLength..]);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    private bool TryOpen(Vector128<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        CheckSealedLength(plaintext.Length, sealedInput.Length);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            return Aegis256Aead.TryOpen(Key, nonce, Vector128<byte>.Zero, associatedData, sealedInput[..plaintext.Length], sealedInput[plaintext.Length..], plaintext);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        NativeMemory.Clear((void*)handle, Aegis256Aead.KeySizeBytes);
        NativeMemory.Free((void*)handle);
        return true;
    }

    private ReadOnlySpan<byte> Key => new((void*)handle, Aegis256Aead.KeySizeBytes);

    /// <summary>Refuses a sealed length other than the message's plus our 16-byte tag (Aegis256Aead
    /// would take a 32-byte tag too).</summary>
    private static void CheckSealedLength(int messageLength, int sealedLength)
    {
        if (sealedLength != messageLength + RecordFormat.TagSizeBytes)
        {
            throw new ArgumentException($"sealed bytes are the message's {messageLength} plus a {RecordFormat.TagSizeBytes}-byte tag, not {sealedLength}");
        }
    }

    /// <summary>Our 12-byte nonce as the first block of AEGIS-256's 32-byte nonce: the 12 bytes,
    /// then zeros (the second block is all zeros).</summary>
    private static Vector128<byte> PaddedNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != RecordFormat.NonceSizeBytes)
        {
            throw new ArgumentException($"a nonce is {RecordFormat.NonceSizeBytes} bytes, not {nonce.Length}", nameof(nonce));
        }
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        nonce.CopyTo(block);
        return Vector128.Create((ReadOnlySpan<byte>)block);
    }

    /// <summary>The same for the nonce of <paramref name="counter"/>, 4 zero bytes then the counter
    /// big-endian, without going through memory: as little-endian 64-bit halves the block is
    /// (big-endian counter &lt;&lt; 32, big-endian counter &gt;&gt; 32).</summary>
    private static Vector128<byte> CounterNonce(ulong counter)
    {
        ulong bigEndian = BinaryPrimitives.ReverseEndianness(counter);
        return Vector128.Create(bigEndian << 32, bigEndian >> 32).AsByte();
    }
}
