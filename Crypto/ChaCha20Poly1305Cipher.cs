using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>ChaCha20-Poly1305, through NSec: its key needs no expansion to keep.</summary>
internal sealed class ChaCha20Poly1305Cipher : RecordCipher
{
    private readonly Key _key;

    public ChaCha20Poly1305Cipher(ReadOnlySpan<byte> key) =>
        _key = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);

    public override CipherSuite Suite => CipherSuite.ChaCha20Poly1305;

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        AeadAlgorithm.ChaCha20Poly1305.Encrypt(_key, nonce, associatedData, plaintext, sealedOutput);

    protected override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        AeadAlgorithm.ChaCha20Poly1305.Decrypt(_key, nonce, associatedData, sealedInput, plaintext);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }
    }
}
