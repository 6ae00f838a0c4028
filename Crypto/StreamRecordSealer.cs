using System.Buffers;
using System.Buffers.Binary;

namespace Weave.Crypto;

/// <summary>
/// Seals the content of one direction of a TCP connection into records (see
/// <see cref="RecordFormat"/>), counting records for the nonce. After
/// <see cref="RecordFormat.RekeyAfterMessages"/> records or <see cref="RecordFormat.RekeyAfterTime"/>
/// it first sends a rekey record under the old key, then moves to the next key of the ratchet:
/// TCP keeps order, so the receiver switches at exactly that point and nothing is dropped.
/// One writer at a time (the connection's send loop).
/// </summary>
public sealed class StreamRecordSealer : IDisposable
{
    private readonly RatchetKey _key;
    private readonly RekeySchedule _schedule;
    private ulong _counter;

    public StreamRecordSealer(CipherSuite suite, ReadOnlySpan<byte> key, TimeProvider time,
        ulong rekeyAfterRecords = RecordFormat.RekeyAfterMessages, TimeSpan? rekeyAfterTime = null)
    {
        _schedule = new RekeySchedule(time, rekeyAfterRecords, rekeyAfterTime);
        _key = new RatchetKey(suite, key);
    }

    /// <summary>How many times the key moved on (for tests and status).</summary>
    public int Rekeys => _key.Steps;

    public static int SealedSize(int contentLength) => contentLength + RecordFormat.StreamOverheadBytes;

    /// <summary>Appends the record of <paramref name="content"/> to <paramref name="output"/> (a rekey record first, when due).</summary>
    public void Seal(ReadOnlySpan<byte> content, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        // The rekey record itself still goes under the old key, so the threshold leaves room for it.
        if (_counter + 1 >= _schedule.AfterMessages || _schedule.TimeIsUp)
        {
            Write(StreamRecordType.Rekey, [], output);
            _key.Step();
            _counter = 0;
            _schedule.Restart();
        }
        Write(StreamRecordType.Content, content, output);
    }

    /// <summary>The record(s) of <paramref name="content"/> as one array.</summary>
    public byte[] Seal(ReadOnlySpan<byte> content)
    {
        var output = new ArrayBufferWriter<byte>(SealedSize(content.Length));
        Seal(content, output);
        return output.WrittenSpan.ToArray();
    }

    private void Write(StreamRecordType type, ReadOnlySpan<byte> content, IBufferWriter<byte> output)
    {
        int sealedLength = RecordFormat.StreamTypeSizeBytes + content.Length + RecordFormat.TagSizeBytes;
        Span<byte> record = output.GetSpan(RecordFormat.StreamLengthSizeBytes + sealedLength);
        Span<byte> lengthBytes = record[..RecordFormat.StreamLengthSizeBytes];
        BinaryPrimitives.WriteUInt32BigEndian(lengthBytes, (uint)sealedLength);
        Span<byte> body = record.Slice(RecordFormat.StreamLengthSizeBytes, sealedLength);
        body[0] = (byte)type;
        content.CopyTo(body[RecordFormat.StreamTypeSizeBytes..]);
        _key.Cipher.Seal(_counter, lengthBytes, body[..^RecordFormat.TagSizeBytes], body);
        _counter++;
        output.Advance(RecordFormat.StreamLengthSizeBytes + sealedLength);
    }

    public void Dispose() => _key.Dispose();
}
