namespace Weave.Linux;

/// <summary>
/// One thread's writes to a TAP: frames queued where they lie, TCP segments coalesced into
/// super-frames when the device takes them (<see cref="TcpCoalescer"/>), written a batch at a time.
/// Like the checksum completion in <see cref="TapDevice.Read(PacketBatch, int)"/>, this is the
/// TAP side of the seam: whoever hands frames to the bridge needs to know nothing of offloads.
/// Owned by one thread at a time (in the router, the thread holding a receive path's socket).
/// Allocation-free.
/// </summary>
public sealed class TapWriter
{
    private readonly ITapDevice _tap;
    private readonly TcpCoalescer? _coalescer;
    private readonly PacketBatch _frames;

    /// <param name="batchSize">Frames written per batch at most.</param>
    /// <param name="coalesceBuffers">Super-frames one batch may build.</param>
    public TapWriter(ITapDevice tap, TapWriterCounters counters, int batchSize, int coalesceBuffers)
    {
        ArgumentNullException.ThrowIfNull(tap);
        ArgumentNullException.ThrowIfNull(counters);
        _tap = tap;
        Counters = counters;
        _frames = new PacketBatch(batchSize, allocateBuffers: false);
        _coalescer = tap.SupportsOffloads ? new TcpCoalescer(coalesceBuffers) : null;
    }

    public TapWriterCounters Counters { get; }

    /// <summary>Whether <paramref name="frames"/> more fit before the next write.</summary>
    public bool HasRoomFor(int frames) => _frames.Count + frames <= _frames.Capacity;

    /// <summary>
    /// Queues a frame (say a datagram's payload) that stays where it is until the
    /// next <see cref="Write"/>, through the coalescer when the TAP takes super-frames, writing what
    /// is queued first when full. The coalescer emits up to two frames per call (the open run and
    /// this one) and leaves nothing open when it emitted two, so a write always finds room.
    /// </summary>
    public void Add(byte[] buffer, int offset, int length)
    {
        if (!HasRoomFor(_coalescer is null ? 1 : 2) || (_coalescer is not null && !_coalescer.HasFreeBuffer))
        {
            Write();
        }
        if (_coalescer is null)
        {
            _frames.Set(_frames.Count++, buffer, offset, length);
        }
        else if (_coalescer.Add(_frames, buffer, offset, length))
        {
            Counters.Coalesced++;
        }
    }

    /// <summary>Queues a super-frame put together elsewhere (a chunked one), with its offloads,
    /// behind what came before it; the caller made room for it (<see cref="HasRoomFor"/>).</summary>
    public void AddSuperFrame(byte[] buffer, int offset, int length, in VirtioNetHeader offload)
    {
        _coalescer?.Flush(_frames);
        int slot = _frames.Count++;
        _frames.Set(slot, buffer, offset, length);
        _frames.Offloads[slot] = offload;
    }

    /// <summary>Writes what is queued to the TAP and counts it; the coalescer's buffers are free again.</summary>
    public void Write()
    {
        _coalescer?.Flush(_frames);
        if (_frames.Count > 0)
        {
            int accepted = _tap.Write(_frames);
            Counters.Written += accepted;
            Counters.Refused += _frames.Count - accepted;
        }
        _frames.Count = 0;
        _coalescer?.Recycle();
    }
}
