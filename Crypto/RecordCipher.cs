using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Weave.Crypto;

/// <summary>
/// An AEAD under one key, as the record layers use it: one subclass per <see cref="CipherSuite"/>
/// (as NSec has one <c>AeadAlgorithm</c> per algorithm), made by <see cref="Create"/>. Sealing and
/// opening work in place (the ciphertext may start where the plaintext does) and allocate nothing.
/// </summary>
public abstract class RecordCipher : IDisposable
{
    /// <summary>The cipher of <paramref name="suite"/> under <paramref name="key"/> (32 bytes), which it copies.</summary>
    public static RecordCipher Create(CipherSuite suite, ReadOnlySpan<byte> key)
    {
        if (key.Length != RecordFormat.KeySizeBytes)
        {
            throw new ArgumentException($"a key is {RecordFormat.KeySizeBytes} bytes, not {key.Length}", nameof(key));
        }
        return suite switch
        {
            CipherSuite.ChaCha20Poly1305 => new ChaCha20Poly1305Cipher(key),
            CipherSuite.Aes256Gcm => new Aes256GcmCipher(key),
            CipherSuite.Aegis256 => new Aegis256Cipher(key),
            _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a cipher suite"),
        };
    }

    public abstract CipherSuite Suite { get; }

    /// <summary>Writes <paramref name="plaintext"/>'s ciphertext and the tag to <paramref name="sealedOutput"/> (16 bytes longer).</summary>
    public abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput);

    /// <summary>False when the tag does not match: wrong key, tampered bytes, wrong nonce or associated data.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        sealedInput.Length >= RecordFormat.TagSizeBytes && Open(nonce, associatedData, sealedInput, plaintext);

    /// <summary>As <see cref="TryOpen(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>, for input of at least a tag.</summary>
    protected abstract bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext);

    public void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        Seal(counter, associatedData, default, plaintext, sealedOutput);

    /// <summary>
    /// Seals the message <paramref name="head"/> followed by <paramref name="body"/>, which lie in
    /// two places (e.g. a datagram's own header in the datagram, its payload in a frame elsewhere).
    /// Each part either already lies where its ciphertext goes or lies apart from the output. Here
    /// both are first copied into <paramref name="sealedOutput"/> and sealed there; a suite that
    /// can read them where they are overrides this.
    /// </summary>
    public virtual void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> sealedOutput)
    {
        int messageLength = head.Length + body.Length;
        if (sealedOutput.Length < messageLength)
        {
            throw new ArgumentException($"sealed bytes are the message's {messageLength} plus a {RecordFormat.TagSizeBytes}-byte tag, not {sealedOutput.Length}", nameof(sealedOutput));
        }
        CopyUnlessInPlace(head, sealedOutput);
        CopyUnlessInPlace(body, sealedOutput[head.Length..]);
        Span<byte> nonce = stackalloc byte[RecordFormat.NonceSizeBytes];
        WriteNonce(nonce, counter);
        Seal(nonce, associatedData, sealedOutput[..messageLength], sealedOutput);
    }

    /// <summary>Opens under the nonce for <paramref name="counter"/> (<see cref="WriteNonce"/>).</summary>
    public virtual bool TryOpen(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[RecordFormat.NonceSizeBytes];
        WriteNonce(nonce, counter);
        return TryOpen(nonce, associatedData, sealedInput, plaintext);
    }

    /// <summary>4 zero bytes, then the counter big-endian.</summary>
    public static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }

    private static void CopyUnlessInPlace(ReadOnlySpan<byte> part, Span<byte> destination)
    {
        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(part), ref MemoryMarshal.GetReference(destination)))
        {
            part.CopyTo(destination);
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the key (the subclass's native copy or NSec's).</summary>
    protected abstract void Dispose(bool disposing);
}
