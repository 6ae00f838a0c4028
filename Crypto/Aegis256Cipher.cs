namespace Weave.Crypto;

/// <summary>
/// AEGIS-256, our own (<see cref="Aegis256Aead"/>, its key in <see cref="AegisKey"/>). It reads a
/// message's two parts where they lie when the head is whole 16-byte blocks, and takes the
/// counter itself instead of a written nonce.
/// </summary>
internal sealed class Aegis256Cipher : RecordCipher
{
    private readonly AegisKey _key;

    public Aegis256Cipher(ReadOnlySpan<byte> key) => _key = AegisKey.Create(key);

    public override CipherSuite Suite => CipherSuite.Aegis256;

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput) =>
        _key.Seal(nonce, associatedData, plaintext, sealedOutput);

    protected override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        _key.TryOpen(nonce, associatedData, sealedInput, plaintext);

    public override void Seal(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Span<byte> sealedOutput)
    {
        if (head.Length % Aegis256Aead.BlockBytes != 0)
        {
            base.Seal(counter, associatedData, head, body, sealedOutput);
            return;
        }
        _key.Seal(counter, associatedData, head, body, sealedOutput);
    }

    public override bool TryOpen(ulong counter, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext) =>
        sealedInput.Length >= RecordFormat.TagSizeBytes && _key.TryOpen(counter, associatedData, sealedInput, plaintext);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }
    }
}
