using System.Runtime.InteropServices;

namespace Weave.Crypto;

/// <summary>
/// An AES-256-GCM key with its key schedule and GHASH table expanded once, in libsodium's
/// precomputed state ("beforenm"/"afternm"), instead of on every call as NSec's
/// <c>Aead.Encrypt</c> does: for the data plane's small datagrams the expansion would be a large
/// share of each seal.
/// The state is key material: it lives in native memory, is zeroed before it is freed, and is
/// freed only once no call is using it (a <see cref="SafeHandle"/>), so a data thread still
/// holding a retired key never touches freed memory.
/// </summary>
internal sealed unsafe partial class AesGcmKey : SafeHandle
{
    private const string Sodium = "libsodium";
    private const int StateAlignment = 16;
    private static readonly nuint s_stateBytes = InitializeSodium();

    /// <summary>An empty (invalid) handle; <see cref="Create"/> makes a usable one.</summary>
    public AesGcmKey()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Expands <paramref name="key"/> (32 bytes). The caller checked that the CPU has AES-NI.</summary>
    public static AesGcmKey Create(ReadOnlySpan<byte> key)
    {
        if (key.Length != RecordFormat.KeySizeBytes)
        {
            throw new ArgumentException($"an AES-256 key is {RecordFormat.KeySizeBytes} bytes, not {key.Length}", nameof(key));
        }
        var created = new AesGcmKey();
        void* state = NativeMemory.AlignedAlloc(s_stateBytes, StateAlignment);
        created.SetHandle((IntPtr)state);
        fixed (byte* k = key)
        {
            if (crypto_aead_aes256gcm_beforenm(state, k) != 0)
            {
                created.Dispose();
                throw new PlatformNotSupportedException("libsodium refused to expand an AES-256-GCM key (no AES-NI?)");
            }
        }
        return created;
    }

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="sealedOutput"/> (16 bytes
    /// longer: the ciphertext, then the tag). Both may start at the same byte (in place); any
    /// other overlap is refused.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput)
    {
        CheckShapes(nonce, plaintext, sealedOutput);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            fixed (byte* n = nonce)
            fixed (byte* ad = associatedData)
            fixed (byte* m = plaintext)
            fixed (byte* c = sealedOutput)
            {
                _ = crypto_aead_aes256gcm_encrypt_detached_afternm(c, c + plaintext.Length, null, m, (ulong)plaintext.Length,
                    ad, (ulong)associatedData.Length, null, n, (void*)handle);
            }
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
    /// not match; the plaintext bytes are then not to be used.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        CheckShapes(nonce, plaintext, sealedInput);
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            fixed (byte* n = nonce)
            fixed (byte* ad = associatedData)
            fixed (byte* c = sealedInput)
            fixed (byte* m = plaintext)
            {
                return crypto_aead_aes256gcm_decrypt_detached_afternm(m, null, c, (ulong)plaintext.Length, c + plaintext.Length,
                    ad, (ulong)associatedData.Length, n, (void*)handle) == 0;
            }
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
        NativeMemory.Clear((void*)handle, s_stateBytes);
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }

    private static void CheckShapes(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> sealedBytes)
    {
        if (nonce.Length != RecordFormat.NonceSizeBytes)
        {
            throw new ArgumentException($"a nonce is {RecordFormat.NonceSizeBytes} bytes, not {nonce.Length}", nameof(nonce));
        }
        if (sealedBytes.Length != plaintext.Length + RecordFormat.TagSizeBytes)
        {
            throw new ArgumentException($"sealed bytes are the plaintext's {plaintext.Length} plus a {RecordFormat.TagSizeBytes}-byte tag, not {sealedBytes.Length}");
        }
        if (plaintext.Overlaps(sealedBytes, out int offset) && offset != 0)
        {
            throw new ArgumentException("the plaintext and the sealed bytes overlap without starting at the same byte");
        }
    }

    /// <summary>sodium_init is idempotent (NSec calls it too); it must have run before any other call.</summary>
    private static nuint InitializeSodium()
    {
        if (sodium_init() < 0)
        {
            throw new PlatformNotSupportedException("libsodium failed to initialise");
        }
        return crypto_aead_aes256gcm_statebytes();
    }

    [LibraryImport(Sodium)]
    private static partial int sodium_init();

    [LibraryImport(Sodium)]
    private static partial nuint crypto_aead_aes256gcm_statebytes();

    [LibraryImport(Sodium)]
    private static partial int crypto_aead_aes256gcm_beforenm(void* state, byte* key);

    [LibraryImport(Sodium)]
    private static partial int crypto_aead_aes256gcm_encrypt_detached_afternm(byte* c, byte* mac, ulong* macLength, byte* m, ulong mLength,
        byte* ad, ulong adLength, byte* nsec, byte* npub, void* state);

    [LibraryImport(Sodium)]
    private static partial int crypto_aead_aes256gcm_decrypt_detached_afternm(byte* m, byte* nsec, byte* c, ulong cLength, byte* mac,
        byte* ad, ulong adLength, byte* npub, void* state);
}
