using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>HKDF-SHA256 (RFC 5869), the one key derivation function of the key schedule.</summary>
public static class Hkdf
{
    public const int PrkSizeBytes = 32;

    public static void Extract(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, Span<byte> prk) =>
        KeyDerivationAlgorithm.HkdfSha256.Extract(inputKeyMaterial, salt, prk);

    public static void Expand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output) =>
        KeyDerivationAlgorithm.HkdfSha256.Expand(prk, info, output);

    /// <summary>
    /// One step of a key's ratchet: the next key is derived from the current one alone, so both ends
    /// step in lockstep without talking, and an old key cannot be computed from a newer one.
    /// </summary>
    /// <remarks>The two spans may be the same (a key replaced by its successor).</remarks>
    public static void Ratchet(ReadOnlySpan<byte> currentKey, Span<byte> nextKey)
    {
        Span<byte> next = stackalloc byte[RecordFormat.KeySizeBytes];
        Expand(currentKey, "weave-cs v1 rekey"u8, next);
        next.CopyTo(nextKey);
        next.Clear();
    }
}
