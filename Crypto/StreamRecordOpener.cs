using System.Buffers;
using System.Buffers.Binary;

namespace Weave.Crypto;

/// <summary>
/// Opens the records of one direction of a TCP connection, in strict order: the nonce is the
/// count of records opened so far, so a dropped, repeated, reordered or altered record fails, and
/// the connection must end (nothing after it can be trusted). Follows the sender's rekey records.
/// One reader at a time.
/// </summary>
public sealed class StreamRecordOpener : IDisposable
{
    public enum Result
    {
        Record,
        NeedMoreData,
        Invalid,
    }

    private readonly int _maxContentBytes;
    private readonly ulong _rekeyAfterRecords;
    private readonly CryptoCounters _counters;
    private readonly RatchetKey _key;
    private ulong _counter;

    /// <param name="maxContentBytes">Largest content accepted; a longer length prefix is refused before anything is read.</param>
    public StreamRecordOpener(CipherSuite suite, ReadOnlySpan<byte> key, int maxContentBytes, CryptoCounters counters,
        ulong rekeyAfterRecords = RecordFormat.RekeyAfterMessages)
    {
        ArgumentNullException.ThrowIfNull(counters);
        _maxContentBytes = maxContentBytes;
        _counters = counters;
        _rekeyAfterRecords = rekeyAfterRecords;
        _key = new RatchetKey(suite, key);
    }

    /// <summary>How many times the key moved on (for tests).</summary>
    public int Rekeys => _key.Steps;

    /// <summary>
    /// Takes the next content record off the front of <paramref name="buffer"/> (rekey records are
    /// followed on the way). <see cref="Result.Invalid"/> says why in <paramref name="error"/>.
    /// </summary>
    public Result TryOpen(ref ReadOnlySequence<byte> buffer, out byte[] content, out string error)
    {
        Span<byte> lengthBytes = stackalloc byte[RecordFormat.StreamLengthSizeBytes];
        while (true)
        {
            content = [];
            error = "";
            if (buffer.Length < RecordFormat.StreamLengthSizeBytes)
            {
                return Result.NeedMoreData;
            }
            buffer.Slice(0, RecordFormat.StreamLengthSizeBytes).CopyTo(lengthBytes);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
            uint min = RecordFormat.StreamTypeSizeBytes + RecordFormat.TagSizeBytes;
            uint max = (uint)_maxContentBytes + min;
            if (length < min || length > max)
            {
                _counters.CountMalformed();
                error = $"sealed record length {length} outside {min}..{max}";
                return Result.Invalid;
            }
            if (buffer.Length < RecordFormat.StreamLengthSizeBytes + length)
            {
                return Result.NeedMoreData;
            }
            if (_counter >= _rekeyAfterRecords)
            {
                _counters.CountMalformed();
                error = $"the peer sent more than {_rekeyAfterRecords} records without rekeying";
                return Result.Invalid;
            }
            ReadOnlySequence<byte> sealedBody = buffer.Slice(RecordFormat.StreamLengthSizeBytes, length);
            byte[] plaintext = new byte[length - RecordFormat.TagSizeBytes];
            bool opened;
            if (sealedBody.IsSingleSegment)
            {
                opened = _key.Cipher.TryOpen(_counter, lengthBytes, sealedBody.FirstSpan, plaintext);
            }
            else
            {
                byte[] copy = sealedBody.ToArray();
                opened = _key.Cipher.TryOpen(_counter, lengthBytes, copy, plaintext);
            }
            if (!opened)
            {
                _counters.CountAuthenticationFailure();
                error = "a record failed authentication (wrong key, or altered, replayed, reordered or dropped)";
                return Result.Invalid;
            }
            buffer = buffer.Slice(sealedBody.End);
            _counter++;
            switch ((StreamRecordType)plaintext[0])
            {
                case StreamRecordType.Content:
                    content = plaintext.AsSpan(RecordFormat.StreamTypeSizeBytes).ToArray();
                    return Result.Record;
                case StreamRecordType.Rekey when plaintext.Length == RecordFormat.StreamTypeSizeBytes:
                    _key.Step();
                    _counter = 0;
                    continue;
                default:
                    _counters.CountMalformed();
                    error = $"record of unknown type {plaintext[0]} (or a rekey record with content)";
                    return Result.Invalid;
            }
        }
    }

    public void Dispose() => _key.Dispose();
}
