using NSec.Cryptography;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>A fact that needs libsodium's AES-256-GCM (AES-NI and PCLMUL): skipped, saying why, on a CPU without.</summary>
public sealed class AesNiFactAttribute : FactAttribute
{
    public const string NoAesNi = "this CPU has no AES-NI: AES-256-GCM is not offered (ChaCha20-Poly1305 is)";

    public AesNiFactAttribute()
    {
        if (!Aes256Gcm.IsSupported)
        {
            Skip = NoAesNi;
        }
    }
}

/// <summary>A theory that needs libsodium's AES-256-GCM: skipped, saying why, on a CPU without.</summary>
public sealed class AesNiTheoryAttribute : TheoryAttribute
{
    public AesNiTheoryAttribute()
    {
        if (!Aes256Gcm.IsSupported)
        {
            Skip = AesNiFactAttribute.NoAesNi;
        }
    }
}
