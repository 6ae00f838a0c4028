using System.Diagnostics;
using System.Text;
using NSec.Cryptography;

namespace Weave.Crypto;

/// <summary>
/// The password made expensive to guess, once at start: Argon2id (64 MiB, 3 passes, 1 lane) over
/// the password with a fixed salt. Every handshake mixes the result into HKDF, so a captured
/// handshake can only be attacked by paying Argon2id per guessed password.
/// </summary>
/// <remarks>
/// The salt is one product-wide label, not per peer: both ends of a connection must derive the
/// same value from the password alone before they have exchanged anything, and any peer may meet
/// any other, so there is no per-peer value both could agree on in advance. What a fixed salt gives
/// up is only that one precomputed table would cover every weave-cs cluster; Argon2id's memory cost
/// still makes each guess expensive.
/// </remarks>
public sealed class HardenedPassword : IDisposable
{
    public const int SizeBytes = 32;

    /// <summary>Argon2id requires 16 bytes of salt; ours names the product and the scheme's version.</summary>
    internal static ReadOnlySpan<byte> Salt => "weave-cs pass v1"u8;

    public const int MemoryKiB = 64 * 1024;
    public const int Passes = 3;

    private readonly byte[] _value;

    private HardenedPassword(byte[] value, TimeSpan cost)
    {
        _value = value;
        Cost = cost;
    }

    /// <summary>How long the hardening took (it is logged at start).</summary>
    public TimeSpan Cost { get; }

    internal ReadOnlySpan<byte> Value => _value;

    /// <summary>Hardens a password; takes about a tenth of a second and 64 MiB, once.</summary>
    /// <exception cref="ArgumentException">The password is empty.</exception>
    public static HardenedPassword Derive(ReadOnlySpan<byte> password)
    {
        if (password.IsEmpty)
        {
            throw new ArgumentException("the password is empty", nameof(password));
        }
        long started = Stopwatch.GetTimestamp();
        var parameters = new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = MemoryKiB, NumberOfPasses = Passes };
        var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(parameters);
        byte[] value = new byte[SizeBytes];
        argon.DeriveBytes(password, Salt, value);
        return new HardenedPassword(value, Stopwatch.GetElapsedTime(started));
    }

    public static HardenedPassword Derive(string password) => Derive(Encoding.UTF8.GetBytes(password ?? ""));

    public void Dispose() => Array.Clear(_value);
}
