using System.Buffers;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class FrameCodecTests
{
    [Fact]
    public void Encode_IntroWithBody_IsBigEndianLengthTagBody()
    {
        byte[] frame = FrameCodec.Encode(FrameTag.Intro, [0xAA, 0xBB, 0xCC]);
        Assert.Equal(new byte[] { 0, 0, 0, 4, 1, 0xAA, 0xBB, 0xCC }, frame);
    }

    [Fact]
    public void Encode_Heartbeat_IsLengthOneTagZero()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0 }, FrameCodec.Encode(FrameTag.Heartbeat, []));
    }

    [Fact]
    public void TryRead_WholeFrame_GivesTagBodyAndConsumesIt()
    {
        byte[] bytes = [.. FrameCodec.Encode(FrameTag.Intro, [1, 2, 3]), 9, 9];
        var buffer = new ReadOnlySequence<byte>(bytes);
        var result = FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out byte tag, out ReadOnlySequence<byte> body, out string error);
        Assert.Equal(FrameCodec.ReadResult.Frame, result);
        Assert.Equal((byte)FrameTag.Intro, tag);
        Assert.Equal(new byte[] { 1, 2, 3 }, body.ToArray());
        Assert.Equal("", error);
        Assert.Equal(new byte[] { 9, 9 }, buffer.ToArray());
    }

    [Fact]
    public void TryRead_EveryPrefix_NeedsMoreDataAndLeavesBufferAlone()
    {
        byte[] frame = FrameCodec.Encode(FrameTag.Intro, [1, 2, 3, 4, 5]);
        for (int length = 0; length < frame.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, length);
            var result = FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out _, out _, out _);
            Assert.Equal(FrameCodec.ReadResult.NeedMoreData, result);
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void TryRead_ZeroLength_IsInvalid()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0, 1, 2 });
        var result = FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out _, out _, out string error);
        Assert.Equal(FrameCodec.ReadResult.Invalid, result);
        Assert.Contains("frame length 0", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(101u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0xFFFFFFFFu)]
    public void TryRead_LengthAboveMaximum_IsInvalidBeforeTheBodyArrives(uint length)
    {
        byte[] bytes = [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 1];
        var buffer = new ReadOnlySequence<byte>(bytes);
        var result = FrameCodec.TryRead(ref buffer, maxFrameBytes: 100, out _, out _, out string error);
        Assert.Equal(FrameCodec.ReadResult.Invalid, result);
        Assert.Contains($"frame length {length}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_LengthAtMaximum_IsAccepted()
    {
        byte[] frame = FrameCodec.Encode(FrameTag.Intro, new byte[99]);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(FrameCodec.ReadResult.Frame, FrameCodec.TryRead(ref buffer, maxFrameBytes: 100, out _, out _, out _));
    }

    [Fact]
    public void TryRead_FrameSplitAcrossSegments_ReadsBothFrames()
    {
        byte[] first = FrameCodec.Encode(FrameTag.Intro, [10, 11, 12, 13, 14, 15]);
        byte[] second = FrameCodec.Encode(FrameTag.Heartbeat, []);
        byte[] all = [.. first, .. second];
        // Cut inside the length prefix, inside the body, and between the frames' bytes.
        ReadOnlySequence<byte> buffer = Segments.Build(all, 2, 3, 4, 2, all.Length - 11);

        Assert.Equal(FrameCodec.ReadResult.Frame, FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out byte tag, out var body, out _));
        Assert.Equal((byte)FrameTag.Intro, tag);
        Assert.False(body.IsSingleSegment);
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15 }, body.ToArray());

        Assert.Equal(FrameCodec.ReadResult.Frame, FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out tag, out body, out _));
        Assert.Equal((byte)FrameTag.Heartbeat, tag);
        Assert.Equal(0, body.Length);
        Assert.Equal(0, buffer.Length);

        Assert.Equal(FrameCodec.ReadResult.NeedMoreData, FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out _, out _, out _));
    }

    [Fact]
    public void TryRead_OneByteSegments_EveryPrefixNeedsMoreData()
    {
        byte[] frame = FrameCodec.Encode(FrameTag.Intro, [1, 2, 3]);
        for (int length = 0; length <= frame.Length; length++)
        {
            int[] sizes = Enumerable.Repeat(1, length).ToArray();
            ReadOnlySequence<byte> buffer = Segments.Build(frame.AsSpan(0, length).ToArray(), sizes);
            var result = FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out byte tag, out var body, out _);
            if (length < frame.Length)
            {
                Assert.Equal(FrameCodec.ReadResult.NeedMoreData, result);
            }
            else
            {
                Assert.Equal(FrameCodec.ReadResult.Frame, result);
                Assert.Equal(1, tag);
                Assert.Equal(new byte[] { 1, 2, 3 }, body.ToArray());
            }
        }
    }

    /// <summary>Builds a multi-segment sequence, as a pipe delivers bytes that arrived in pieces.</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Build(byte[] bytes, params int[] sizes)
        {
            if (sizes.Sum() != bytes.Length)
            {
                throw new ArgumentException("segment sizes must add up to the length", nameof(sizes));
            }
            if (sizes.Length == 0)
            {
                return ReadOnlySequence<byte>.Empty;
            }
            var first = new Segments(bytes.AsMemory(0, sizes[0]), 0);
            Segments last = first;
            int at = sizes[0];
            foreach (int size in sizes.Skip(1))
            {
                var next = new Segments(bytes.AsMemory(at, size), at);
                last.Next = next;
                last = next;
                at += size;
            }
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
