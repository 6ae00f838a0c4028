using System.Runtime.InteropServices;

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
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput)
    {
        Span<byte> paddedNonce = stackalloc byte[Aegis256Aead.NonceSizeBytes];
        CheckShapes(nonce, plaintext, sealedOutput, paddedNonce);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            Aegis256Aead.Seal(Key, paddedNonce, associatedData, plaintext, sealedOutput[..plaintext.Length], sealedOutput[plaintext.Length..]);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    /// <summary>Opens <paramref name="sealedInput"/> (ciphertext then tag) into
    /// <paramref name="plaintext"/> (16 bytes shorter; in place allowed). False when the tag does
    /// not match; the plaintext is then zeroed.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        Span<byte> paddedNonce = stackalloc byte[Aegis256Aead.NonceSizeBytes];
        CheckShapes(nonce, plaintext, sealedInput, paddedNonce);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            return Aegis256Aead.TryOpen(Key, paddedNonce, associatedData, sealedInput[..plaintext.Length], sealedInput[plaintext.Length..], plaintext);
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

    /// <summary>Refuses a sealed length other than the plaintext's plus our 16-byte tag (Aegis256Aead
    /// would take a 32-byte tag too) and a nonce other than ours; writes the nonce padded to 32 bytes.</summary>
    private static void CheckShapes(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> sealedBytes, Span<byte> paddedNonce)
    {
        if (sealedBytes.Length != plaintext.Length + RecordFormat.TagSizeBytes)
        {
            throw new ArgumentException($"sealed bytes are the plaintext's {plaintext.Length} plus a {RecordFormat.TagSizeBytes}-byte tag, not {sealedBytes.Length}");
        }
        if (nonce.Length != RecordFormat.NonceSizeBytes)
        {
            throw new ArgumentException($"a nonce is {RecordFormat.NonceSizeBytes} bytes, not {nonce.Length}", nameof(nonce));
        }
        nonce.CopyTo(paddedNonce);
        paddedNonce[nonce.Length..].Clear();
    }
}
