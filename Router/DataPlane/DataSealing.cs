using Weave.Crypto;

namespace Weave.Router.DataPlane;

/// <summary>
/// The data keys of one neighbour's connection (with <c>--password</c>): a sealer for what we send
/// it, an opener for what it sends us. Every sleeve datagram between us is sealed with them, hop by
/// hop (a relay opens with the sender's and seals again with the next hop's).
/// <para>
/// Two threads send to a neighbour: the TAP thread (our frames and heartbeats) and the sleeve thread
/// (relays). Sealing takes a lock rather than giving each thread its own lane of keys and replay
/// window: a seal covers a whole batch (up to 64 segments of a GSO send, tens of microseconds of
/// AEAD), so an uncontended lock (tens of nanoseconds) is lost in it, contention only happens on a
/// relaying peer, and one sealer keeps one counter space and one replay window at the receiver.
/// Opening is the sleeve thread's alone and takes no lock.
/// </para>
/// The keys are not disposed when the neighbour goes: a data thread may still hold it for a batch,
/// so they are left to the finaliser rather than freed under it.
/// </summary>
public sealed class DataSealing
{
    private readonly DatagramSealer _sealer;
    private readonly DatagramOpener _opener;
    private readonly Lock _sealLock = new();

    public DataSealing(DatagramSealer sealer, DatagramOpener opener)
    {
        ArgumentNullException.ThrowIfNull(sealer);
        ArgumentNullException.ThrowIfNull(opener);
        _sealer = sealer;
        _opener = opener;
    }

    /// <summary>From a connection's session keys.</summary>
    public static DataSealing FromKeys(SessionKeys keys, TimeProvider time, CryptoCounters counters)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return new DataSealing(keys.CreateDataSealer(time), keys.CreateDataOpener(counters));
    }

    /// <summary>
    /// Seals sleeve datagrams in place, all behind the same <paramref name="header"/> (the associated
    /// data): each slice covers a payload at <see cref="SleeveHeader.SealedPayloadOffset"/> of its
    /// datagram, with the tag's room behind it. False when the key epochs are used up (years).
    /// </summary>
    public bool TrySeal(byte[] buffer, Span<DatagramSlice> payloads, ReadOnlySpan<byte> header)
    {
        lock (_sealLock)
        {
            return _sealer.TrySeal(buffer, payloads, header);
        }
    }

    /// <summary>The same for payloads in two parts: each slice covers the head (in place), and the
    /// rest, sealed from where it lies in <paramref name="source"/>, follows it in the datagram.</summary>
    public bool TrySeal(byte[] buffer, Span<DatagramSlice> payloads, ReadOnlySpan<byte> header, ReadOnlySpan<byte> source, ReadOnlySpan<DatagramSlice> tails)
    {
        lock (_sealLock)
        {
            return _sealer.TrySeal(buffer, payloads, header, source, tails);
        }
    }

    /// <summary>Opens one sealed sleeve datagram in place (sleeve thread only): on success
    /// <paramref name="payload"/> covers the plaintext. Failures are counted by the opener.</summary>
    public DatagramOpenStatus Open(byte[] buffer, int datagramStart, int datagramLength, out DatagramSlice payload)
    {
        Span<DatagramSlice> slices = [new DatagramSlice(datagramStart + SleeveHeader.SizeBytes, datagramLength - SleeveHeader.SizeBytes)];
        Span<DatagramOpenStatus> results = [default];
        _opener.Open(buffer, slices, buffer.AsSpan(datagramStart, SleeveHeader.SizeBytes), results);
        payload = slices[0];
        return results[0];
    }
}
