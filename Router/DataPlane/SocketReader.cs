using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// A UDP socket's receive stage: what moves with the socket between the TAP thread and the
/// socket's own thread (Forwarder.Handoff.cs): its receive batch, the hand-over state, and what
/// each path adds (its bridge writer, relays, chunk assembler). Only the thread holding the socket
/// touches it.
/// </summary>
internal abstract class SocketReader
{
    private readonly IDatagramTransport _socket;

    /// <param name="firstFrameOffset">Where a datagram is received into its buffer, chosen so that
    /// the first inner frame lands at the headroom, as frames read from the TAP do.</param>
    protected SocketReader(DataSources source, IDatagramTransport transport, int firstFrameOffset)
    {
        _socket = transport;
        Source = source;
        Datagrams = new PacketBatch(transport.BatchSize, allocateBuffers: true);
        Array.Fill(Datagrams.Offsets, firstFrameOffset);
    }

    public DataSources Source { get; }

    public PacketBatch Datagrams { get; }

    /// <summary>Wakes the socket's parked thread; a blocking wait that does not spin first, as SemaphoreSlim does.</summary>
    public AutoResetEvent HandedOver { get; } = new(false);

    /// <summary>True while the TAP thread holds the socket; written only by the holder.</summary>
    public volatile bool WithTapThread;

    /// <summary>When the socket last gave a bulk batch; owned by the thread holding it.</summary>
    public long LastBulk;

    /// <summary>Receives one batch, waiting up to <paramref name="timeoutMilliseconds"/>, and forwards
    /// it; returns its slots, 0 when nothing came.</summary>
    public virtual int Receive(int timeoutMilliseconds)
    {
        Datagrams.Count = _socket.Receive(Datagrams, timeoutMilliseconds);
        if (Datagrams.Count > 0)
        {
            Forward(Datagrams);
        }
        return Datagrams.Count;
    }

    /// <summary>Forwards the <see cref="PacketBatch.Count"/> slots of <paramref name="datagrams"/>;
    /// returns the frames the TAP accepted (a super-frame counts once).</summary>
    public abstract int Forward(PacketBatch datagrams);

    /// <summary>The size to split a received slot at: its GRO segment size, or the whole slot (at least 1) when it is one datagram.</summary>
    protected static int SegmentSize(PacketBatch datagrams, int slot)
    {
        int length = datagrams.Lengths[slot];
        int segment = datagrams.SegmentSizes[slot];
        return segment <= 0 || segment > length ? Math.Max(length, 1) : segment;
    }
}
