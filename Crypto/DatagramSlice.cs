namespace Weave.Crypto;

/// <summary>Where one datagram of a batch lies in the batch's buffer.</summary>
public record struct DatagramSlice(int Offset, int Length);

/// <summary>What became of one datagram given to <see cref="DatagramOpener.Open"/>.</summary>
public enum DatagramOpenStatus : byte
{
    /// <summary>Authenticated and decrypted; its slice now covers the plaintext.</summary>
    Opened,

    /// <summary>Shorter than a header and a tag, or of a key epoch we do not hold.</summary>
    Malformed,

    /// <summary>Its counter was seen before or is too old for the window.</summary>
    Replayed,

    /// <summary>The tag did not match.</summary>
    AuthenticationFailed,
}
