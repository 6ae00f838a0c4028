using System.Net;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class ChunkAssemblerTests
{
    private static readonly DataPeer s_a = new(new PeerName(0xA), "a", new IPEndPoint(IPAddress.Loopback, 6784));
    private static readonly DataPeer s_b = new(new PeerName(0xB), "b", new IPEndPoint(IPAddress.Loopback, 6786));

    private static byte[] FrameBytes(int length, byte seed) => [.. Enumerable.Range(0, length).Select(i => (byte)(seed + (i * 7)))];

    private static ChunkHeader Header(uint frame, byte[] bytes, int offset) =>
        new(frame, bytes.Length, offset, VirtioNetHeader.GsoTcpV4, 1380);

    [Fact]
    public void PiecesInOrder_CompleteTheFrame_AndTwoNeighboursInterleaveFreely()
    {
        var assembler = new ChunkAssembler();
        byte[] fromA = FrameBytes(3000, 1);
        byte[] fromB = FrameBytes(2500, 2);

        Assert.False(assembler.Add(s_a, Header(7, fromA, 0), fromA.AsSpan(0, 1400), out _, out _, out bool dropped));
        Assert.False(dropped);
        Assert.False(assembler.Add(s_b, Header(1, fromB, 0), fromB.AsSpan(0, 1400), out _, out _, out _));
        Assert.False(assembler.Add(s_a, Header(7, fromA, 1400), fromA.AsSpan(1400, 1400), out _, out _, out _));
        Assert.True(assembler.Add(s_b, Header(1, fromB, 1400), fromB.AsSpan(1400), out byte[] bufferB, out int lengthB, out _));
        Assert.True(assembler.Add(s_a, Header(7, fromA, 2800), fromA.AsSpan(2800), out byte[] bufferA, out int lengthA, out _));

        Assert.Equal(fromA, bufferA.AsSpan(PacketBatch.Headroom, lengthA).ToArray());
        Assert.Equal(fromB, bufferB.AsSpan(PacketBatch.Headroom, lengthB).ToArray());
        Assert.NotSame(bufferA, bufferB);
        Assert.Equal(0, assembler.FramesAbandoned);
    }

    [Fact]
    public void APieceOutOfOrder_IsDropped_AndAbandonsTheFrame()
    {
        var assembler = new ChunkAssembler();
        byte[] frame = FrameBytes(4000, 3);
        assembler.Add(s_a, Header(1, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);

        Assert.False(assembler.Add(s_a, Header(1, frame, 2800), frame.AsSpan(2800), out _, out _, out bool dropped));
        Assert.True(dropped);
        Assert.Equal(1, assembler.FramesAbandoned);
        Assert.False(assembler.Add(s_a, Header(1, frame, 1400), frame.AsSpan(1400, 1400), out _, out _, out dropped)); // its frame is gone
        Assert.True(dropped);
        Assert.Equal(1, assembler.FramesAbandoned);
    }

    [Fact]
    public void ANewFrameBeforeTheLastWasComplete_AbandonsTheLast()
    {
        var assembler = new ChunkAssembler();
        byte[] first = FrameBytes(3000, 4);
        byte[] second = FrameBytes(1000, 5);
        assembler.Add(s_a, Header(1, first, 0), first.AsSpan(0, 1400), out _, out _, out _);

        Assert.True(assembler.Add(s_a, Header(2, second, 0), second, out byte[] buffer, out int length, out bool dropped));
        Assert.False(dropped);
        Assert.Equal(second, buffer.AsSpan(PacketBatch.Headroom, length).ToArray());
        Assert.Equal(1, assembler.FramesAbandoned);
    }

    [Fact]
    public void APieceOfAnotherFrameNumberOrLength_DoesNotContinueTheFrame()
    {
        var assembler = new ChunkAssembler();
        byte[] frame = FrameBytes(3000, 6);
        assembler.Add(s_a, Header(1, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);

        Assert.False(assembler.Add(s_a, Header(2, frame, 1400), frame.AsSpan(1400, 1400), out _, out _, out bool dropped));
        Assert.True(dropped);
        assembler.Add(s_a, Header(3, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);
        Assert.False(assembler.Add(s_a, new ChunkHeader(3, 2900, 1400, VirtioNetHeader.GsoTcpV4, 1380), frame.AsSpan(1400, 1400), out _, out _, out dropped));
        Assert.True(dropped);
    }

    [Fact]
    public void Recycle_ReusesTheBuffers_SoSteadyTrafficAllocatesNothing()
    {
        var assembler = new ChunkAssembler();
        byte[] frame = FrameBytes(2000, 7);
        assembler.Add(s_a, Header(1, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);
        Assert.True(assembler.Add(s_a, Header(1, frame, 1400), frame.AsSpan(1400), out byte[] first, out _, out _));
        assembler.Recycle();

        for (uint n = 2; n < 50; n++)
        {
            assembler.Add(s_a, Header(n, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);
            Assert.True(assembler.Add(s_a, Header(n, frame, 1400), frame.AsSpan(1400), out byte[] again, out _, out _));
            Assert.Same(first, again);
            assembler.Recycle();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint n = 50; n < 150; n++)
        {
            assembler.Add(s_a, Header(n, frame, 0), frame.AsSpan(0, 1400), out _, out _, out _);
            assembler.Add(s_a, Header(n, frame, 1400), frame.AsSpan(1400), out _, out _, out _);
            assembler.Recycle();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
