using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>The TCP record layer: strict order, any change rejected, rekeying by count and by time.</summary>
public sealed class StreamRecordTests
{
    private const int MaxContent = 1 << 16;
    private readonly CryptoCounters _counters = new();

    private static StreamRecordSealer Sealer(CipherSuite suite, TimeProvider? time = null, ulong rekeyAfter = RecordFormat.RekeyAfterMessages, TimeSpan? rekeyAfterTime = null) =>
        new(suite, TestKeys.Key(7), time ?? TimeProvider.System, rekeyAfter, rekeyAfterTime);

    private StreamRecordOpener Opener(CipherSuite suite, byte keyFill = 7, ulong rekeyAfter = RecordFormat.RekeyAfterMessages) =>
        new(suite, TestKeys.Key(keyFill), MaxContent, _counters, rekeyAfter);

    private static StreamRecordOpener.Result Open(StreamRecordOpener opener, byte[] bytes, out byte[] content, out string error)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        return opener.TryOpen(ref buffer, out content, out error);
    }

    /// <summary>Opens every content record in <paramref name="stream"/>; fails the test on anything else.</summary>
    private static List<byte[]> OpenAll(StreamRecordOpener opener, byte[] stream)
    {
        var buffer = new ReadOnlySequence<byte>(stream);
        var contents = new List<byte[]>();
        while (buffer.Length > 0)
        {
            Assert.Equal(StreamRecordOpener.Result.Record, opener.TryOpen(ref buffer, out byte[] content, out string error));
            Assert.Equal("", error);
            contents.Add(content);
        }
        return contents;
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void Seal_ThenOpen_GivesTheContentsBackInOrder(CipherSuite suite)
    {
        using StreamRecordSealer sealer = Sealer(suite);
        using StreamRecordOpener opener = Opener(suite);
        byte[][] contents = [[], [1], "gossip"u8.ToArray(), new byte[MaxContent]];
        var stream = new ArrayBufferWriter<byte>();
        foreach (byte[] content in contents)
        {
            sealer.Seal(content, stream);
        }
        Assert.Equal(contents, OpenAll(opener, stream.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Seal_DoesNotShowTheContent()
    {
        using StreamRecordSealer sealer = Sealer(CipherSuites.Supported[0]);
        byte[] content = "nickname-host1 nickname-host1"u8.ToArray();
        byte[] record = sealer.Seal(content);
        Assert.Equal(StreamRecordSealer.SealedSize(content.Length), record.Length);
        Assert.Equal(-1, record.AsSpan().IndexOf("nickname"u8));
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void TryOpen_AnyFlippedBit_IsRejected(CipherSuite suite)
    {
        using StreamRecordSealer sealer = Sealer(suite);
        byte[] record = sealer.Seal("heartbeat and then some"u8);
        for (int bit = 0; bit < record.Length * 8; bit++)
        {
            byte[] flipped = (byte[])record.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            using StreamRecordOpener opener = Opener(suite);
            var result = Open(opener, flipped, out _, out string error);
            // A flip in the length prefix may also make the record look incomplete or too long: never a success.
            Assert.NotEqual(StreamRecordOpener.Result.Record, result);
            if (bit >= RecordFormat.StreamLengthSizeBytes * 8)
            {
                Assert.Equal(StreamRecordOpener.Result.Invalid, result);
                Assert.Contains("failed authentication", error, StringComparison.Ordinal);
            }
        }
        Assert.True(_counters.AuthenticationFailures >= (record.Length - RecordFormat.StreamLengthSizeBytes) * 8);
    }

    [Fact]
    public void TryOpen_ReplayedRecord_IsRejected()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        using StreamRecordOpener opener = Opener(suite);
        byte[] first = sealer.Seal("one"u8);
        Assert.Equal(StreamRecordOpener.Result.Record, Open(opener, first, out _, out _));
        Assert.Equal(StreamRecordOpener.Result.Invalid, Open(opener, first, out _, out string error));
        Assert.Contains("replayed", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_ReorderedOrDroppedRecord_IsRejected()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        byte[] first = sealer.Seal("one"u8);
        byte[] second = sealer.Seal("two"u8);
        using StreamRecordOpener reordered = Opener(suite);
        Assert.Equal(StreamRecordOpener.Result.Invalid, Open(reordered, second, out _, out _));
        using StreamRecordOpener inOrder = Opener(suite);
        Assert.Equal(StreamRecordOpener.Result.Record, Open(inOrder, first, out byte[] one, out _));
        Assert.Equal("one"u8.ToArray(), one);
    }

    [Fact]
    public void TryOpen_WrongKey_IsRejectedAndCounted()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        using StreamRecordOpener opener = Opener(suite, keyFill: 8);
        Assert.Equal(StreamRecordOpener.Result.Invalid, Open(opener, sealer.Seal("x"u8), out _, out _));
        Assert.Equal(1, _counters.AuthenticationFailures);
    }

    [Fact]
    public void TryOpen_TruncatedRecord_NeedsMoreData_UntilComplete()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        byte[] record = sealer.Seal("complete"u8);
        using StreamRecordOpener opener = Opener(suite);
        for (int length = 0; length < record.Length; length++)
        {
            Assert.Equal(StreamRecordOpener.Result.NeedMoreData, Open(opener, record[..length], out _, out _));
        }
        Assert.Equal(StreamRecordOpener.Result.Record, Open(opener, record, out byte[] content, out _));
        Assert.Equal("complete"u8.ToArray(), content);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(16u)]
    [InlineData(MaxContent + 18u)]
    [InlineData(uint.MaxValue)]
    public void TryOpen_LengthOutOfBounds_IsInvalidBeforeReadingTheBody(uint length)
    {
        using StreamRecordOpener opener = Opener(CipherSuites.Supported[0]);
        byte[] header = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, length);
        Assert.Equal(StreamRecordOpener.Result.Invalid, Open(opener, header, out _, out string error));
        Assert.Contains("outside", error, StringComparison.Ordinal);
        Assert.Equal(1, _counters.Malformed);
    }

    [Fact]
    public void TryOpen_RecordSplitAcrossSegments_Opens()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        byte[] record = sealer.Seal(new byte[300]);
        using StreamRecordOpener opener = Opener(suite);
        ReadOnlySequence<byte> buffer = Segments.Of(record[..7], record[7..150], record[150..]);
        Assert.Equal(StreamRecordOpener.Result.Record, opener.TryOpen(ref buffer, out byte[] content, out _));
        Assert.Equal(300, content.Length);
        Assert.Equal(0, buffer.Length);
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void Ratchet_SmallThreshold_RekeysOftenWithoutLosingARecord(CipherSuite suite)
    {
        using StreamRecordSealer sealer = Sealer(suite, rekeyAfter: 3);
        using StreamRecordOpener opener = Opener(suite, rekeyAfter: 3);
        var stream = new ArrayBufferWriter<byte>();
        byte[][] contents = [.. Enumerable.Range(0, 20).Select(i => new[] { (byte)i })];
        foreach (byte[] content in contents)
        {
            sealer.Seal(content, stream);
        }
        Assert.Equal(contents, OpenAll(opener, stream.WrittenSpan.ToArray()));
        Assert.Equal(9, sealer.Rekeys);
        Assert.Equal(sealer.Rekeys, opener.Rekeys);
    }

    [Fact]
    public void Ratchet_AfterTheTimeBound_Rekeys()
    {
        var time = new FakeTimeProvider();
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite, time, rekeyAfterTime: TimeSpan.FromHours(2));
        using StreamRecordOpener opener = Opener(suite);
        var stream = new ArrayBufferWriter<byte>();
        sealer.Seal("before"u8, stream);
        time.Advance(TimeSpan.FromHours(2));
        sealer.Seal("after"u8, stream);
        sealer.Seal("later"u8, stream);

        Assert.Equal(1, sealer.Rekeys);
        Assert.Equal(["before"u8.ToArray(), "after"u8.ToArray(), "later"u8.ToArray()], OpenAll(opener, stream.WrittenSpan.ToArray()));
        Assert.Equal(1, opener.Rekeys);
    }

    [Fact]
    public void TryOpen_PeerThatNeverRekeys_IsCutOffAtTheLimit()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite);
        using StreamRecordOpener opener = Opener(suite, rekeyAfter: 2);
        Assert.Equal(StreamRecordOpener.Result.Record, Open(opener, sealer.Seal("1"u8), out _, out _));
        Assert.Equal(StreamRecordOpener.Result.Record, Open(opener, sealer.Seal("2"u8), out _, out _));
        Assert.Equal(StreamRecordOpener.Result.Invalid, Open(opener, sealer.Seal("3"u8), out _, out string error));
        Assert.Contains("without rekeying", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_ContentRecordAfterRekeyUnderTheOldKey_IsRejected()
    {
        // A man in the middle who drops the rekey record: the next record is under a key the receiver has not moved to.
        CipherSuite suite = CipherSuites.Supported[0];
        using StreamRecordSealer sealer = Sealer(suite, rekeyAfter: 2);
        var stream = new ArrayBufferWriter<byte>();
        sealer.Seal("a"u8, stream);
        int firstLength = stream.WrittenCount;
        sealer.Seal("b"u8, stream); // rekey record, then "b" under the next key
        byte[] all = stream.WrittenSpan.ToArray();
        int rekeyLength = StreamRecordSealer.SealedSize(0);
        byte[] withoutRekey = [.. all[..firstLength], .. all[(firstLength + rekeyLength)..]];
        using StreamRecordOpener opener = Opener(suite, rekeyAfter: 2);
        var buffer = new ReadOnlySequence<byte>(withoutRekey);
        Assert.Equal(StreamRecordOpener.Result.Record, opener.TryOpen(ref buffer, out _, out _));
        Assert.Equal(StreamRecordOpener.Result.Invalid, opener.TryOpen(ref buffer, out _, out _));
    }
}

/// <summary>Builds multi-segment sequences, as a pipe hands them out.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        var first = new Segments(parts[0], 0);
        Segments last = first;
        foreach (byte[] part in parts[1..])
        {
            var next = new Segments(part, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
