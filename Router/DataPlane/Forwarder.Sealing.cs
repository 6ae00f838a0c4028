using Weave.Crypto;

namespace Weave.Router.DataPlane;

/// <summary>
/// Sealing (with <c>--password</c>, docs/encryption.md): to a neighbour whose
/// <see cref="DataPeer.Sealing"/> is set, every datagram is a sleeve datagram sealed with that
/// connection's data keys, the sleeve header in clear as associated data; from it, only such
/// datagrams are accepted, and what fails to open is dropped and counted (by the opener's
/// <see cref="CryptoCounters"/>, shared by all neighbours) without touching any other state.
/// </summary>
public sealed partial class Forwarder
{
    /// <summary>What the data plane's openers dropped: failed authentication, replays, malformed.</summary>
    public CryptoCounters SealingCounters { get; init; } = new();

    /// <summary>
    /// Seals one sleeve datagram in place when <paramref name="to"/> seals; <paramref name="length"/>
    /// is the datagram's length to send. False only when the keys are used up (after years).
    /// </summary>
    internal static bool TrySealOne(byte[] buffer, int start, int payloadLength, DataPeer to, out int length)
    {
        if (to.Sealing is not DataSealing sealing)
        {
            length = SleeveHeader.SizeBytes + payloadLength;
            return true;
        }
        length = SleeveHeader.SealedOverheadBytes + payloadLength;
        Span<DatagramSlice> payload = [new DatagramSlice(start + SleeveHeader.SealedPayloadOffset, payloadLength)];
        return sealing.TrySeal(buffer, payload, buffer.AsSpan(start, SleeveHeader.SizeBytes));
    }
}
