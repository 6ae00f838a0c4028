namespace Weave.Crypto;

/// <summary>AES-256-GCM with its expanded key kept (<see cref="AesGcmKey"/>), not expanded per call.</summary>
internal sealed class Aes256GcmCipher : RecordCipher
{
    private readonly AesGcmKey _key;

    public Aes256GcmCipher(ReadOnlySpan<byte> key) => _key = AesGcmKey.Create(key);

    public override CipherSuite Suite => CipherSuite.Aes256Gcm;

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        _key.Seal(nonce, associatedData, plaintext, sealedOutput);

    protected override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        _key.TryOpen(nonce, associatedData, sealedInput, plaintext);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }
    }
}
