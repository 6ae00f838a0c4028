using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>
/// One AEAD key and the calls the record layers make with it. Sealing and opening work in place
/// (the ciphertext may start where the plaintext does) and allocate nothing. AES-256-GCM keeps
/// its expanded key (<see cref="AesGcmKey"/>); AEGIS-256 is our own (<see cref="Aegis256Aead"/>, its
/// key in <see cref="AegisKey"/>); ChaCha20-Poly1305, whose key needs no expansion, goes through NSec.
/// </summary>
public sealed class RecordCipher : IDisposable
{
    private readonly Key? _chaCha;
    private readonly AesGcmKey? _aesGcm;
    private readonly AegisKey? _aegis;

    public RecordCipher(CipherSuite suite, ReadOnlySpan<byte> key)
    {
        if (key.Length != RecordFormat.KeySizeBytes)
        {
            throw new ArgumentException($"a key is {RecordFormat.KeySizeBytes} bytes, not {key.Length}", nameof(key));
        }
        Suite = suite;
        switch (suite)
        {
            case CipherSuite.Aes256Gcm:
                _aesGcm = AesGcmKey.Create(key);
                break;
            case CipherSuite.Aegis256:
                _aegis = AegisKey.Create(key);
                break;
            default:
                _chaCha = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);
                break;
        }
    }

    public CipherSuite Suite { get; }

    /// <summary>Writes <paramref name="plaintext"/>'s ciphertext and the tag to <paramref name="sealedOutput"/> (16 bytes longer).</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput)
    {
        if (_aesGcm is not null)
        {
            _aesGcm.Seal(nonce, associatedData, plaintext, sealedOutput);
        }
        else if (_aegis is not null)
        {
            _aegis.Seal(nonce, associatedData, plaintext, sealedOutput);
        }
        else
        {
            AeadAlgorithm.ChaCha20Poly1305.Encrypt(_chaCha!, nonce, associatedData, plaintext, sealedOutput);
        }
    }

    /// <summary>False when the tag does not match: wrong key, tampered bytes, wrong nonce or associated data.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        sealedInput.Length >= RecordFormat.TagSizeBytes &&
        (_aesGcm?.TryOpen(nonce, associatedData, sealedInput, plaintext)
            ?? _aegis?.TryOpen(nonce, associatedData, sealedInput, plaintext)
            ?? AeadAlgorithm.ChaCha20Poly1305.Decrypt(_chaCha!, nonce, associatedData, sealedInput, plaintext));

    public void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        Seal(counter, associatedData, default, plaintext, sealedOutput);

    /// <summary>
    /// Seals the message <paramref name="head"/> followed by <paramref name="body"/>, which lie in
    /// two places (e.g. a datagram's own header in the datagram, its payload in a frame elsewhere).
    /// Each part either already lies where its ciphertext goes or lies apart from the output.
    /// AEGIS-256 reads both parts where they are when the head is whole 16-byte blocks; otherwise
    /// they are first copied into <paramref name="sealedOutput"/> and sealed there.
    /// </summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> sealedOutput)
    {
        if (_aegis is not null && head.Length % Aegis256Aead.BlockBytes == 0)
        {
            _aegis.Seal(counter, associatedData, head, body, sealedOutput);
            return;
        }
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

    public bool TryOpen(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext)
    {
        if (_aegis is not null)
        {
            return sealedInput.Length >= RecordFormat.TagSizeBytes && _aegis.TryOpen(counter, associatedData, sealedInput, plaintext);
        }
        Span<byte> nonce = stackalloc byte[RecordFormat.NonceSizeBytes];
        WriteNonce(nonce, counter);
        return TryOpen(nonce, associatedData, sealedInput, plaintext);
    }

    private static void CopyUnlessInPlace(ReadOnlySpan<byte> part, Span<byte> destination)
    {
        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(part), ref MemoryMarshal.GetReference(destination)))
        {
            part.CopyTo(destination);
        }
    }

    /// <summary>4 zero bytes, then the counter big-endian.</summary>
    public static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }

    public void Dispose()
    {
        _chaCha?.Dispose();
        _aesGcm?.Dispose();
        _aegis?.Dispose();
    }
}
