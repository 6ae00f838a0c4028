using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Weave.Crypto;

/// <summary>
/// A SHA-256 over everything the two ends said before keys exist (headers, the agreed version,
/// both intros with their ephemeral keys and cipher offers), in a fixed order: dialer first. The
/// hash goes into every derived key, so a man in the middle who changes a single byte (a lower
/// version, a stripped feature, another cipher) leaves the two ends with different keys, and the
/// key confirmation fails.
/// </summary>
public sealed class HandshakeTranscript : IDisposable
{
    public const int HashSizeBytes = 32;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public HandshakeTranscript() => _hash.AppendData("weave-cs v1 handshake"u8);

    /// <summary>Adds one labelled, length-prefixed part, so parts cannot be shifted into each other.</summary>
    public void Append(ReadOnlySpan<byte> label, ReadOnlySpan<byte> part)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, label.Length);
        _hash.AppendData(length);
        _hash.AppendData(label);
        BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
        _hash.AppendData(length);
        _hash.AppendData(part);
    }

    public byte[] Hash() => _hash.GetCurrentHash();

    public void Dispose() => _hash.Dispose();
}
