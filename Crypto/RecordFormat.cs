namespace Weave.Crypto;

/// <summary>
/// Sizes and limits of the sealed records, shared by both record layers.
/// <code>
///   stream record (TCP, after the handshake):
///     length (4 bytes BE: ciphertext + tag) | AEAD( type (1 byte) | content ) | tag (16)
///     nonce = 4 zero bytes | record counter (8 bytes BE), never sent: both ends count, so a
///     dropped, repeated or reordered record fails to open. Associated data: the length bytes.
///   datagram (UDP):
///     header (8 bytes BE: key epoch 16 bits | counter 48 bits) | AEAD( payload ) | tag (16)
///     nonce = 4 zero bytes | the header. Associated data: the caller's (e.g. the sleeve's peer
///     names). Each direction and plane has its own key, so no two senders share a nonce space.
///   AEGIS-256 takes these 12 nonce bytes followed by 20 zero bytes as its 32-byte nonce.
/// </code>
/// </summary>
public static class RecordFormat
{
    public const int KeySizeBytes = 32;
    public const int NonceSizeBytes = 12;
    public const int TagSizeBytes = 16;

    public const int StreamLengthSizeBytes = 4;
    public const int StreamTypeSizeBytes = 1;

    /// <summary>What a stream record adds to its content.</summary>
    public const int StreamOverheadBytes = StreamLengthSizeBytes + StreamTypeSizeBytes + TagSizeBytes;

    public const int DatagramHeaderSizeBytes = 8;

    /// <summary>What sealing adds to a datagram: the header in front (headroom), the tag behind (tailroom).</summary>
    public const int DatagramOverheadBytes = DatagramHeaderSizeBytes + TagSizeBytes;

    /// <summary>Counters of one datagram key run in 48 bits; rekeying comes long before.</summary>
    public const ulong MaxDatagramCounter = (1UL << 48) - 1;

    public const int MaxEpoch = ushort.MaxValue;

    /// <summary>
    /// A sender moves to the next key after this many records or datagrams: far below the 2^48
    /// counter space and AES-GCM's safe use per key.
    /// </summary>
    public const ulong RekeyAfterMessages = 1UL << 32;

    /// <summary>...and after this long, whichever comes first, so a key never lives for days.</summary>
    public static readonly TimeSpan RekeyAfterTime = TimeSpan.FromHours(2);
}

/// <summary>The first plaintext byte of a stream record.</summary>
public enum StreamRecordType : byte
{
    /// <summary>Content for the layer above (one control frame).</summary>
    Content = 0,

    /// <summary>The last record under this key: the sender moves to the next key of the ratchet.</summary>
    Rekey = 1,
}
