using System.Buffers.Binary;

namespace Weave.Crypto;

/// <summary>
/// Seals datagrams of one direction of the data plane in place, a whole batch per call (e.g. the
/// segments of a GSO super-frame), allocating nothing. Each payload needs
/// <see cref="RecordFormat.DatagramHeaderSizeBytes"/> free bytes before it and
/// <see cref="RecordFormat.TagSizeBytes"/> after it. Every datagram carries its key epoch and
/// counter in clear; after <see cref="RecordFormat.RekeyAfterMessages"/> datagrams or
/// <see cref="RecordFormat.RekeyAfterTime"/> the key moves one step along the ratchet and the
/// epoch goes up, which the receiver follows (it holds the next key ready). One thread at a time.
/// </summary>
public sealed class DatagramSealer : IDisposable
{
    private readonly RatchetKey _key;
    private readonly RekeySchedule _schedule;
    private ulong _counter;

    public DatagramSealer(CipherSuite suite, ReadOnlySpan<byte> key, TimeProvider time,
        ulong rekeyAfterDatagrams = RecordFormat.RekeyAfterMessages, TimeSpan? rekeyAfterTime = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rekeyAfterDatagrams, RecordFormat.MaxDatagramCounter + 1);
        _schedule = new RekeySchedule(time, rekeyAfterDatagrams, rekeyAfterTime);
        _key = new RatchetKey(suite, key);
    }

    /// <summary>The key epoch of the next datagram.</summary>
    public int Epoch => _key.Steps;

    /// <summary>
    /// Seals each datagram in place: on entry a slice covers a payload, on return the sealed
    /// datagram (header, ciphertext, tag). <paramref name="associatedData"/> is authenticated with
    /// every datagram but not sent. False (nothing sealed) only when the key epochs are used up,
    /// after years: the session must then be replaced by a new handshake.
    /// </summary>
    public bool TrySeal(Span<byte> buffer, Span<DatagramSlice> datagrams, ReadOnlySpan<byte> associatedData) =>
        TrySeal(buffer, datagrams, associatedData, default, default);

    /// <summary>
    /// As the other TrySeal, for payloads in two parts: each slice covers the payload's head, in
    /// place, and <paramref name="tails"/> (one per datagram) say where in <paramref name="source"/>
    /// the rest is. The rest is sealed from there, its ciphertext right after the head's, without
    /// being copied into the buffer first (with AEGIS-256 and heads of whole 16-byte blocks).
    /// </summary>
    public bool TrySeal(Span<byte> buffer, Span<DatagramSlice> datagrams, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> source, ReadOnlySpan<DatagramSlice> tails)
    {
        if (!tails.IsEmpty && tails.Length != datagrams.Length)
        {
            throw new ArgumentException($"one tail per datagram: {tails.Length} for {datagrams.Length}", nameof(tails));
        }
        if (_counter > 0 && _schedule.TimeIsUp && !TryRekey())
        {
            return false;
        }
        for (int i = 0; i < datagrams.Length; i++)
        {
            if (_counter >= _schedule.AfterMessages && !TryRekey())
            {
                return false;
            }
            DatagramSlice slice = datagrams[i];
            ReadOnlySpan<byte> tail = tails.IsEmpty ? default : source.Slice(tails[i].Offset, tails[i].Length);
            int start = slice.Offset - RecordFormat.DatagramHeaderSizeBytes;
            int sealedLength = slice.Length + tail.Length + RecordFormat.DatagramOverheadBytes;
            if (start < 0 || start + sealedLength > buffer.Length)
            {
                throw new ArgumentException($"datagram {i} lacks headroom or tailroom in the buffer", nameof(datagrams));
            }
            Span<byte> datagram = buffer.Slice(start, sealedLength);
            ulong header = ((ulong)Epoch << 48) | _counter;
            BinaryPrimitives.WriteUInt64BigEndian(datagram, header);
            Span<byte> body = datagram[RecordFormat.DatagramHeaderSizeBytes..];
            _key.Cipher.Seal(header, associatedData, body[..slice.Length], tail, body);
            _counter++;
            datagrams[i] = new DatagramSlice(start, sealedLength);
        }
        return true;
    }

    private bool TryRekey()
    {
        if (Epoch == RecordFormat.MaxEpoch)
        {
            return false;
        }
        _key.Step();
        _counter = 0;
        _schedule.Restart();
        return true;
    }

    public void Dispose() => _key.Dispose();
}
