using Microsoft.Extensions.Time.Testing;
using Weave.Crypto;
using Xunit;

namespace Weave.Tests.Crypto;

/// <summary>The UDP record layer: batches sealed and opened in place, replay window, rekeying by epoch.</summary>
public sealed class DatagramRecordTests
{
    private const int Headroom = RecordFormat.DatagramHeaderSizeBytes;
    private static readonly byte[] s_peers = "peer-a|peer-b"u8.ToArray();
    private readonly CryptoCounters _counters = new();

    private static DatagramSealer Sealer(CipherSuite suite, ulong rekeyAfter = RecordFormat.RekeyAfterMessages, TimeProvider? time = null) =>
        new(suite, TestKeys.Key(3), time ?? TimeProvider.System, rekeyAfter);

    private DatagramOpener Opener(CipherSuite suite, byte keyFill = 3) => new(suite, TestKeys.Key(keyFill), _counters);

    /// <summary>One buffer with each payload at a fixed stride, room for header and tag around it.</summary>
    private sealed class Batch
    {
        public Batch(int count, int payloadLength, int stride = 2048)
        {
            Buffer = new byte[count * stride];
            Slices = new DatagramSlice[count];
            for (int i = 0; i < count; i++)
            {
                Slices[i] = new DatagramSlice(i * stride + Headroom, payloadLength);
                Buffer.AsSpan(Slices[i].Offset, payloadLength).Fill((byte)(i + 1));
            }
        }

        public byte[] Buffer { get; }
        public DatagramSlice[] Slices { get; }

        public byte[] Datagram(int i) => Buffer.AsSpan(Slices[i].Offset, Slices[i].Length).ToArray();
    }

    /// <summary>Opens single datagrams (copies), as a receiver would get them one by one.</summary>
    private static DatagramOpenStatus OpenOne(DatagramOpener opener, byte[] datagram, out byte[] plaintext)
    {
        byte[] buffer = (byte[])datagram.Clone();
        DatagramSlice[] slices = [new(0, buffer.Length)];
        DatagramOpenStatus[] results = new DatagramOpenStatus[1];
        opener.Open(buffer, slices, s_peers, results);
        plaintext = buffer.AsSpan(slices[0].Offset, slices[0].Length).ToArray();
        return results[0];
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void SealBatch_ThenOpenBatch_InPlace_GivesThePayloadsBack(CipherSuite suite)
    {
        using DatagramSealer sealer = Sealer(suite);
        using DatagramOpener opener = Opener(suite);
        var batch = new Batch(count: 44, payloadLength: 1400);

        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));

        Assert.All(batch.Slices, s => Assert.Equal(1400 + RecordFormat.DatagramOverheadBytes, s.Length));
        Assert.Equal(0, batch.Slices[0].Offset);
        Assert.Equal(-1, batch.Buffer.AsSpan(batch.Slices[3].Offset + Headroom, 1400).IndexOf(Enumerable.Repeat((byte)4, 32).ToArray()));
        var results = new DatagramOpenStatus[batch.Slices.Length];
        opener.Open(batch.Buffer, batch.Slices, s_peers, results);
        Assert.All(results, r => Assert.Equal(DatagramOpenStatus.Opened, r));
        for (int i = 0; i < batch.Slices.Length; i++)
        {
            Assert.Equal(1400, batch.Slices[i].Length);
            Assert.True(batch.Buffer.AsSpan(batch.Slices[i].Offset, 1400).IndexOfAnyExcept((byte)(i + 1)) < 0);
        }
    }

    /// <summary>Payloads in two parts: a 16-byte head in place and a tail sealed from another buffer
    /// (a chunk header and its piece of a frame) open to head then tail, for every suite; the
    /// source is not changed.</summary>
    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void SealWithTails_OpensToHeadThenTail_AndLeavesTheSourceAlone(CipherSuite suite)
    {
        using DatagramSealer sealer = Sealer(suite);
        using DatagramOpener opener = Opener(suite);
        var batch = new Batch(count: 5, payloadLength: 16);
        byte[] frame = new byte[4000];
        new Random(7).NextBytes(frame);
        byte[] frameBefore = (byte[])frame.Clone();
        DatagramSlice[] tails = [new(0, 1400), new(1400, 1400), new(2800, 1199), new(3999, 1), new(4000, 0)];

        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers, frame, tails));

        Assert.Equal(frameBefore, frame);
        var results = new DatagramOpenStatus[batch.Slices.Length];
        opener.Open(batch.Buffer, batch.Slices, s_peers, results);
        for (int i = 0; i < tails.Length; i++)
        {
            Assert.Equal(DatagramOpenStatus.Opened, results[i]);
            Span<byte> opened = batch.Buffer.AsSpan(batch.Slices[i].Offset, batch.Slices[i].Length);
            Assert.Equal(16 + tails[i].Length, opened.Length);
            Assert.True(opened[..16].IndexOfAnyExcept((byte)(i + 1)) < 0, $"head of datagram {i}");
            Assert.True(opened[16..].SequenceEqual(frame.AsSpan(tails[i].Offset, tails[i].Length)), $"tail of datagram {i}");
        }
    }

    [Fact]
    public void SealWithTails_BadTails_AreRefused()
    {
        using DatagramSealer sealer = Sealer(CipherSuites.Supported[0]);
        var batch = new Batch(count: 2, payloadLength: 16);
        byte[] frame = new byte[100];

        var count = Assert.Throws<ArgumentException>(() => sealer.TrySeal(batch.Buffer, batch.Slices, s_peers, frame, [new(0, 10)]));
        Assert.Contains("one tail per datagram", count.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => sealer.TrySeal(batch.Buffer, batch.Slices, s_peers, frame, [new(0, 10), new(90, 11)]));
        var noRoom = new Batch(count: 1, payloadLength: 16, stride: 64);
        Assert.Throws<ArgumentException>(() => sealer.TrySeal(noRoom.Buffer, noRoom.Slices, s_peers, frame, [new(0, 50)]));
    }

    [Fact]
    public void SealAndOpen_100kDatagrams_AllocateNothing()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite);
        using DatagramOpener opener = Opener(suite);
        var batch = new Batch(count: 64, payloadLength: 1400);
        var results = new DatagramOpenStatus[64];
        var template = (DatagramSlice[])batch.Slices.Clone();
        Span<DatagramSlice> slices = batch.Slices;
        // The same datagrams with their payloads in two parts: 16 bytes in place, 1384 sealed from elsewhere.
        DatagramSlice[] headsOnly = template.Select(t => t with { Length = 16 }).ToArray();
        byte[] tailSource = new byte[64 * 1384];
        DatagramSlice[] tails = Enumerable.Range(0, 64).Select(i => new DatagramSlice(i * 1384, 1384)).ToArray();
        // Warm up (first use of each key, JIT), then measure.
        Assert.True(sealer.TrySeal(batch.Buffer, slices, s_peers));
        opener.Open(batch.Buffer, slices, s_peers, results);
        headsOnly.CopyTo(slices);
        Assert.True(sealer.TrySeal(batch.Buffer, slices, s_peers, tailSource, tails));
        opener.Open(batch.Buffer, slices, s_peers, results);

        // Rounds of 200,000 datagrams until one allocates nothing (at most 5): the runtime may tier
        // up a method during the first, which is not the record layer allocating; a real
        // allocation per call shows in every round.
        var rounds = new List<long>();
        for (int attempt = 0; attempt < 5 && (rounds.Count == 0 || rounds[^1] != 0); attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int round = 0; round < 100_000 / 64; round++)
            {
                template.CopyTo(slices);
                sealer.TrySeal(batch.Buffer, slices, s_peers);
                opener.Open(batch.Buffer, slices, s_peers, results);
                headsOnly.CopyTo(slices);
                sealer.TrySeal(batch.Buffer, slices, s_peers, tailSource, tails);
                opener.Open(batch.Buffer, slices, s_peers, results);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 200,000 datagrams (in place and in two parts): {string.Join(", ", rounds)}");
        Assert.All(results, r => Assert.Equal(DatagramOpenStatus.Opened, r));
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void Open_AnyFlippedBit_IsRejected_AndTheWindowDoesNotMove(CipherSuite suite)
    {
        using DatagramSealer sealer = Sealer(suite);
        var batch = new Batch(count: 1, payloadLength: 40);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));
        byte[] datagram = batch.Datagram(0);
        using DatagramOpener opener = Opener(suite);
        for (int bit = 0; bit < datagram.Length * 8; bit++)
        {
            byte[] flipped = (byte[])datagram.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(DatagramOpenStatus.Opened, OpenOne(opener, flipped, out _));
        }
        // None of the forgeries advanced anything: the genuine datagram still opens.
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, datagram, out byte[] plaintext));
        Assert.Equal(Enumerable.Repeat((byte)1, 40), plaintext);
        Assert.Equal(datagram.Length * 8, _counters.AuthenticationFailures + _counters.Malformed);
    }

    [Fact]
    public void Open_WrongAssociatedData_IsRejected()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite);
        var batch = new Batch(count: 1, payloadLength: 10);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, "peer-x|peer-b"u8));
        using DatagramOpener opener = Opener(suite);
        Assert.Equal(DatagramOpenStatus.AuthenticationFailed, OpenOne(opener, batch.Datagram(0), out _));
    }

    [Fact]
    public void Open_Replay_IsRejectedAndCounted()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite);
        var batch = new Batch(count: 2, payloadLength: 10);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));
        using DatagramOpener opener = Opener(suite);
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(1), out _));
        Assert.Equal(DatagramOpenStatus.Replayed, OpenOne(opener, batch.Datagram(1), out _));
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(0), out _));
        Assert.Equal(DatagramOpenStatus.Replayed, OpenOne(opener, batch.Datagram(0), out _));
        Assert.Equal(2, _counters.Replays);
    }

    [Fact]
    public void Open_ReorderedWithinTheWindow_IsAccepted_TooOldIsNot()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite);
        int count = ReplayWindow.Size + 2;
        var batch = new Batch(count, payloadLength: 4, stride: 64);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));
        using DatagramOpener opener = Opener(suite);

        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(count - 1), out _));
        // Counter 0 is now Size + 1 below the highest: too old. Counter 1 is exactly at the edge.
        Assert.Equal(DatagramOpenStatus.Replayed, OpenOne(opener, batch.Datagram(0), out _));
        for (int i = count - 2; i >= 1; i--)
        {
            Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(i), out _));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(RecordFormat.DatagramOverheadBytes - 1)]
    public void Open_Truncated_IsMalformed(int length)
    {
        using DatagramOpener opener = Opener(CipherSuites.Supported[0]);
        Assert.Equal(DatagramOpenStatus.Malformed, OpenOne(opener, new byte[length], out _));
        Assert.Equal(1, _counters.Malformed);
    }

    [Fact]
    public void Open_SliceOutsideTheBuffer_IsMalformed_NotACrash()
    {
        using DatagramOpener opener = Opener(CipherSuites.Supported[0]);
        byte[] buffer = new byte[100];
        DatagramSlice[] slices = [new(60, 80), new(-1, 30)];
        var results = new DatagramOpenStatus[2];
        opener.Open(buffer, slices, s_peers, results);
        Assert.Equal([DatagramOpenStatus.Malformed, DatagramOpenStatus.Malformed], results);
    }

    [Fact]
    public void Seal_WithoutHeadroom_Throws()
    {
        using DatagramSealer sealer = Sealer(CipherSuites.Supported[0]);
        DatagramSlice[] slices = [new(2, 10)];
        Assert.Throws<ArgumentException>(() => sealer.TrySeal(new byte[100], slices, s_peers));
    }

    [Fact]
    public void Open_WrongKey_IsRejected()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite);
        var batch = new Batch(count: 1, payloadLength: 10);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));
        using DatagramOpener opener = Opener(suite, keyFill: 4);
        Assert.Equal(DatagramOpenStatus.AuthenticationFailed, OpenOne(opener, batch.Datagram(0), out _));
    }

    [Theory]
    [MemberData(nameof(TestKeys.Suites), MemberType = typeof(TestKeys))]
    public void Rekey_SmallThreshold_ReceiverFollowsEpochs_AndLateDatagramsOfThePreviousEpochStillOpen(CipherSuite suite)
    {
        using DatagramSealer sealer = Sealer(suite, rekeyAfter: 5);
        var batch = new Batch(count: 23, payloadLength: 8, stride: 64);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices, s_peers));
        Assert.Equal(4, sealer.Epoch);
        using DatagramOpener opener = Opener(suite);

        // Epoch 0 and 1 in order, then epoch 2 before the rest of epoch 1 arrives.
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(i), out _));
        }
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(12), out _));
        Assert.Equal(2, opener.CurrentEpoch);
        for (int i = 7; i < 10; i++)
        {
            Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(i), out _));
        }
        for (int i = 10; i < 23; i++)
        {
            if (i != 12)
            {
                Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(i), out _));
            }
        }
        Assert.Equal(4, opener.CurrentEpoch);
        // Two epochs back is gone.
        Assert.Equal(DatagramOpenStatus.Malformed, OpenOne(opener, batch.Datagram(0), out _));
    }

    [Fact]
    public void Rekey_ForgedDatagramOfTheNextEpoch_DoesNotMoveTheReceiver()
    {
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramOpener opener = Opener(suite);
        byte[] forged = new byte[60];
        forged[1] = 1; // epoch 1 in the header's top 16 bits
        Assert.Equal(DatagramOpenStatus.AuthenticationFailed, OpenOne(opener, forged, out _));
        Assert.Equal(0, opener.CurrentEpoch);
    }

    [Fact]
    public void Rekey_AfterTheTimeBound_MovesToTheNextEpoch()
    {
        var time = new FakeTimeProvider();
        CipherSuite suite = CipherSuites.Supported[0];
        using DatagramSealer sealer = Sealer(suite, time: time);
        var batch = new Batch(count: 2, payloadLength: 8);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices.AsSpan(0, 1), s_peers));
        time.Advance(RecordFormat.RekeyAfterTime);
        Assert.True(sealer.TrySeal(batch.Buffer, batch.Slices.AsSpan(1, 1), s_peers));
        Assert.Equal(1, sealer.Epoch);
        using DatagramOpener opener = Opener(suite);
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(0), out _));
        Assert.Equal(DatagramOpenStatus.Opened, OpenOne(opener, batch.Datagram(1), out _));
        Assert.Equal(1, opener.CurrentEpoch);
    }
}
