using System.Buffers.Binary;

namespace Weave.Crypto;

/// <summary>
/// Opens datagrams of one direction of the data plane in place, a batch per call, allocating
/// nothing per datagram. Holds three keys: the current epoch's, the previous one's (for datagrams
/// still in flight when the sender moved on) and the next one's, derived in advance, so that a
/// datagram of the next epoch costs one trial decryption and a stranger's datagrams never make us
/// derive or store anything. Each epoch has its own <see cref="ReplayWindow"/>, advanced only by
/// datagrams that authenticated. One thread at a time.
/// </summary>
public sealed class DatagramOpener : IDisposable
{
    private readonly CryptoCounters _counters;
    private Epoch _current;
    private Epoch? _previous;
    private Epoch? _next;

    public DatagramOpener(CipherSuite suite, ReadOnlySpan<byte> key, CryptoCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        _counters = counters;
        _current = new Epoch(0, new RatchetKey(suite, key));
        _next = new Epoch(1, _current.Key.Next());
    }

    /// <summary>The sender's newest key epoch seen so far.</summary>
    public int CurrentEpoch => _current.Number;

    /// <summary>
    /// Opens each datagram: on entry a slice covers a sealed datagram, on return (when
    /// <see cref="DatagramOpenStatus.Opened"/>) its plaintext. Failures are counted in
    /// <see cref="CryptoCounters"/>; their slices are left as they were.
    /// </summary>
    public void Open(Span<byte> buffer, Span<DatagramSlice> datagrams, ReadOnlySpan<byte> associatedData, Span<DatagramOpenStatus> results)
    {
        if (results.Length < datagrams.Length)
        {
            throw new ArgumentException("one result per datagram", nameof(results));
        }
        for (int i = 0; i < datagrams.Length; i++)
        {
            results[i] = OpenOne(buffer, ref datagrams[i], associatedData);
        }
    }

    private DatagramOpenStatus OpenOne(Span<byte> buffer, ref DatagramSlice slice, ReadOnlySpan<byte> associatedData)
    {
        if (slice.Length < RecordFormat.DatagramOverheadBytes || slice.Offset < 0 || slice.Offset + slice.Length > buffer.Length)
        {
            _counters.CountMalformed();
            return DatagramOpenStatus.Malformed;
        }
        Span<byte> datagram = buffer.Slice(slice.Offset, slice.Length);
        ulong header = BinaryPrimitives.ReadUInt64BigEndian(datagram);
        int epochNumber = (int)(header >> 48);
        ulong counter = header & RecordFormat.MaxDatagramCounter;
        Epoch? epoch = epochNumber == _current.Number ? _current
            : _next is not null && epochNumber == _next.Number ? _next
            : _previous is not null && epochNumber == _previous.Number ? _previous
            : null;
        if (epoch is null)
        {
            _counters.CountMalformed();
            return DatagramOpenStatus.Malformed;
        }
        if (!epoch.Window.IsFresh(counter))
        {
            _counters.CountReplay();
            return DatagramOpenStatus.Replayed;
        }
        Span<byte> body = datagram[RecordFormat.DatagramHeaderSizeBytes..];
        int plaintextLength = body.Length - RecordFormat.TagSizeBytes;
        if (!epoch.Cipher.TryOpen(header, associatedData, body, body[..plaintextLength]))
        {
            _counters.CountAuthenticationFailure();
            return DatagramOpenStatus.AuthenticationFailed;
        }
        epoch.Window.Accept(counter);
        if (epoch == _next)
        {
            Advance(epoch);
        }
        slice = new DatagramSlice(slice.Offset + RecordFormat.DatagramHeaderSizeBytes, plaintextLength);
        return DatagramOpenStatus.Opened;
    }

    /// <summary>
    /// The sender moved to the next epoch (proved by a datagram that authenticated under it):
    /// current becomes previous, next becomes current, and the key after it is derived. Happens
    /// once per rekey, never for an unauthenticated datagram.
    /// </summary>
    private void Advance(Epoch next)
    {
        _previous?.Key.Dispose();
        _previous = _current;
        _current = next;
        _next = null;
        if (_current.Number < RecordFormat.MaxEpoch)
        {
            _next = new Epoch(_current.Number + 1, _current.Key.Next());
        }
    }

    public void Dispose()
    {
        _previous?.Key.Dispose();
        _current.Key.Dispose();
        _next?.Key.Dispose();
    }

    private sealed class Epoch(int number, RatchetKey key)
    {
        public int Number { get; } = number;
        public RatchetKey Key { get; } = key;
        public RecordCipher Cipher => Key.Cipher;
        public ReplayWindow Window { get; } = new();
    }
}
