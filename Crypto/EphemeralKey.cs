using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>An X25519 key pair made for one connection and dropped after the handshake (forward secrecy).</summary>
public sealed class EphemeralKey : IDisposable
{
    public const int PublicKeySizeBytes = 32;
    public const int SharedSecretSizeBytes = 32;

    private readonly Key _key;

    private EphemeralKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public byte[] PublicKey { get; }

    public static EphemeralKey Create() =>
        new(Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None }));

    /// <summary>For test vectors only: a known private key.</summary>
    internal static EphemeralKey Import(ReadOnlySpan<byte> privateKey) =>
        new(Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey));

    /// <summary>
    /// The X25519 shared secret with <paramref name="remotePublicKey"/>. False when the remote key is
    /// not 32 bytes or is a low-order point (the secret would be all zeros, known to anyone).
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> remotePublicKey, Span<byte> sharedSecret)
    {
        if (remotePublicKey.Length != PublicKeySizeBytes ||
            !NSec.Cryptography.PublicKey.TryImport(KeyAgreementAlgorithm.X25519, remotePublicKey, KeyBlobFormat.RawPublicKey, out NSec.Cryptography.PublicKey? remote))
        {
            return false;
        }
        using SharedSecret? secret = KeyAgreementAlgorithm.X25519.Agree(_key, remote!, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        if (secret is null)
        {
            return false;
        }
        return secret.TryExport(SharedSecretBlobFormat.RawSharedSecret, sharedSecret, out int written) && written == SharedSecretSizeBytes;
    }

    public void Dispose() => _key.Dispose();
}
