using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// Puts chunked super-frames (<see cref="SleeveKind.Chunk"/>, <see cref="ChunkHeader"/>) back
/// together, one frame in progress per neighbour, pieces in order. A neighbour sends a frame's
/// pieces back to back on one UDP flow, so they arrive in order unless one is lost; a piece that
/// is not the next one abandons the frame in progress (TCP resends its bytes), and so does the
/// first piece of a new frame. Only opened (authenticated) pieces reach it: a stranger can neither
/// start nor spoil a frame. Owned by the thread holding the sleeve socket, like the coalescer; a
/// completed frame's buffer stays untouched until <see cref="Recycle"/>, after the frames were
/// written. Buffers are taken from a pool that grows only while more frames are in progress or
/// awaiting the write than ever before (bounded by the neighbours plus one batch), so steady
/// traffic allocates nothing.
/// </summary>
internal sealed class ChunkAssembler
{
    private readonly Stack<byte[]> _free = new();
    private readonly List<byte[]> _emitted = [];

    /// <summary>Frames abandoned because a piece was missing or out of order.</summary>
    public long FramesAbandoned { get; private set; }

    /// <summary>
    /// Adds one piece from <paramref name="from"/>. True when it completed a frame, which then lies
    /// at <paramref name="buffer"/>[<see cref="PacketBatch.Headroom"/>..] for
    /// <paramref name="length"/> bytes; false when the frame is still in progress or the piece was
    /// dropped (<paramref name="dropped"/>: not the next piece of the frame in progress).
    /// </summary>
    public bool Add(DataPeer from, in ChunkHeader header, ReadOnlySpan<byte> piece, out byte[] buffer, out int length, out bool dropped)
    {
        buffer = [];
        length = 0;
        dropped = false;
        PartialFrame partial = from.Chunks.Partial ??= new PartialFrame();
        if (header.Offset == 0)
        {
            if (partial.Received > 0)
            {
                Abandon(partial); // its remaining pieces never came
            }
            partial.Buffer ??= Take();
            partial.Start(header);
        }
        else if (partial.Buffer is null || partial.Received == 0 || !partial.Continues(header))
        {
            if (partial.Received > 0)
            {
                Abandon(partial);
                partial.Received = 0;
            }
            dropped = true;
            return false;
        }
        piece.CopyTo(partial.Buffer.AsSpan(PacketBatch.Headroom + header.Offset));
        partial.Received += piece.Length;
        if (partial.Received < partial.Length)
        {
            return false;
        }
        buffer = partial.Buffer;
        length = partial.Length;
        Volatile.Write(ref partial.Completed, partial.Completed + 1);
        _emitted.Add(buffer);
        partial.Buffer = null;
        partial.Received = 0;
        return true;
    }

    /// <summary>After the completed frames were written: their buffers are free again.</summary>
    public void Recycle()
    {
        foreach (byte[] buffer in _emitted)
        {
            _free.Push(buffer);
        }
        _emitted.Clear();
    }

    private void Abandon(PartialFrame partial)
    {
        FramesAbandoned++;
        Volatile.Write(ref partial.Abandoned, partial.Abandoned + 1);
    }

    private byte[] Take() => _free.Count > 0 ? _free.Pop() : PacketBatch.AllocateBuffer();
}

/// <summary>A neighbour's chunked frame in progress (<see cref="ChunkAssembler"/>), kept in its <see cref="PeerChunks"/>.</summary>
internal sealed class PartialFrame
{
    public byte[]? Buffer;
    public uint Frame;
    public int Length;
    public int Received;
    public byte GsoType;
    public ushort GsoSize;

    // Frames from this neighbour completed and abandoned so far: written by the sleeve socket's
    // holder, read by the TAP thread for its heartbeats (LosingChunks).
    public long Completed;
    public long Abandoned;

    public void Start(in ChunkHeader header)
    {
        Frame = header.Frame;
        Length = header.FrameLength;
        GsoType = header.GsoType;
        GsoSize = header.GsoSize;
        Received = 0;
    }

    /// <summary>Whether the piece is the next one of this frame.</summary>
    public bool Continues(in ChunkHeader header) =>
        header.Frame == Frame && header.FrameLength == Length && header.Offset == Received &&
        header.GsoType == GsoType && header.GsoSize == GsoSize;
}
