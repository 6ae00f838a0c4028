using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>The AEADs a session may use. All take 32-byte keys, 12-byte nonces (AEGIS-256 pads
/// ours with zeros to its 32) and give 16-byte tags.</summary>
public enum CipherSuite
{
    ChaCha20Poly1305,
    Aes256Gcm,
    Aegis256,
}

/// <summary>Names on the wire, what this machine can run, and the order we prefer.</summary>
public static class CipherSuites
{
    public const string ChaCha20Poly1305Name = "chacha20poly1305";
    public const string Aes256GcmName = "aes256gcm";
    public const string Aegis256Name = "aegis256";

    /// <summary>
    /// What this machine offers, best first. Where the CPU has AES-NI, AEGIS-256 leads and
    /// AES-256-GCM follows, fastest first on datagrams of the data plane's size (bench/README.md,
    /// crypto; docs/encryption.md).
    /// AES-256-GCM stays offered for peers that predate AEGIS-256. Without AES-NI neither runs,
    /// so ChaCha20-Poly1305 is always offered too.
    /// </summary>
    public static IReadOnlyList<CipherSuite> Supported { get; } = Aes256Gcm.IsSupported && Aegis256Aead.IsSupported
        ? [CipherSuite.Aegis256, CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305]
        : Aes256Gcm.IsSupported
            ? [CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305]
            : [CipherSuite.ChaCha20Poly1305];

    public static string Name(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes256Gcm => Aes256GcmName,
        CipherSuite.Aegis256 => Aegis256Name,
        _ => ChaCha20Poly1305Name,
    };

    public static bool TryParse(string name, out CipherSuite suite)
    {
        switch (name)
        {
            case Aes256GcmName:
                suite = CipherSuite.Aes256Gcm;
                return true;
            case Aegis256Name:
                suite = CipherSuite.Aegis256;
                return true;
            case ChaCha20Poly1305Name:
                suite = CipherSuite.ChaCha20Poly1305;
                return true;
            default:
                suite = default;
                return false;
        }
    }

    /// <summary>The space-separated list sent in an intro, best first.</summary>
    public static string Offer(IReadOnlyList<CipherSuite> suites) => string.Join(' ', suites.Select(Name));

    /// <summary>
    /// The suite both ends pick from the two offers: the dialer's first choice that the acceptor
    /// also offers. Both ends run this on the same two lists, so they agree without another round
    /// trip; both lists are in the transcript, so a tampered list breaks the keys.
    /// </summary>
    public static bool TryAgree(string dialerOffer, string acceptorOffer, out CipherSuite suite, out string error)
    {
        string[] theirs = acceptorOffer.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in dialerOffer.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (theirs.Contains(name, StringComparer.Ordinal) && TryParse(name, out suite) && IsRunnable(suite))
            {
                error = "";
                return true;
            }
        }
        suite = default;
        error = $"no common cipher: the dialer offers '{dialerOffer}', the acceptor '{acceptorOffer}'";
        return false;
    }

    private static bool IsRunnable(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes256Gcm => Aes256Gcm.IsSupported,
        CipherSuite.Aegis256 => Aegis256Aead.IsSupported,
        _ => true,
    };
}
