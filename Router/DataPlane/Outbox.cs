using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The TAP thread's send stage: the datagrams it has wrapped, waiting to go with one sendmmsg per
/// socket at the end of a batch, and the buffers it cuts super-frames and copies floods into.
/// Owned by that thread alone (or a test standing in for it). A rented buffer stays valid until the
/// next flush; a full batch, or renting the last buffer, flushes by itself. Allocation-free.
/// </summary>
internal sealed class Outbox
{
    private readonly IDatagramTransport _vxlan;
    private readonly IDatagramTransport _sleeve;
    private readonly ForwarderCounters _counters;
    private readonly PacketBatch _vxlanSends;
    private readonly PacketBatch _sleeveSends;
    private readonly byte[][] _buffers;
    private int _buffersUsed;

    /// <param name="batchSize">Datagrams (or GSO sends) gathered per socket before a send.</param>
    /// <param name="bufferCount">Buffers for cut super-frames and copies (one per GSO send).</param>
    public Outbox(IDatagramTransport vxlan, IDatagramTransport sleeve, ForwarderCounters counters, int batchSize, int bufferCount)
    {
        _vxlan = vxlan;
        _sleeve = sleeve;
        _counters = counters;
        _vxlanSends = new PacketBatch(batchSize, allocateBuffers: false);
        _sleeveSends = new PacketBatch(batchSize, allocateBuffers: false);
        _buffers = PacketBatch.AllocateBuffers(bufferCount);
    }

    /// <summary>Sends handed to the two sockets so far (a GSO send counts once).</summary>
    public long Sent => _counters.DatagramsSent + _counters.SleeveDatagramsSent;

    /// <summary>A free buffer (<see cref="PacketBatch.AllocateBuffer"/>'s size); when all are
    /// taken, what is queued is sent first.</summary>
    public byte[] RentBuffer()
    {
        if (_buffersUsed == _buffers.Length)
        {
            Flush();
        }
        return _buffers[_buffersUsed++];
    }

    /// <summary>Queues a frame we captured, wrapped by <paramref name="wrap"/>, on the socket it names.</summary>
    public void Queue(Encapsulation wrap, byte[] buffer, int offset, int length, int segmentSize, in UdpEndpoint to)
    {
        if (wrap.OnSleeveSocket)
        {
            QueueSleeve(buffer, offset, length, segmentSize, to);
            _counters.SleeveFramesFromBridge++;
        }
        else
        {
            QueueVxlan(buffer, offset, length, segmentSize, to);
        }
    }

    public void QueueVxlan(byte[] buffer, int offset, int length, int segmentSize, in UdpEndpoint to)
    {
        if (_vxlanSends.Count == _vxlanSends.Capacity)
        {
            SendVxlan();
        }
        Add(_vxlanSends, buffer, offset, length, segmentSize, to);
    }

    public void QueueSleeve(byte[] buffer, int offset, int length, int segmentSize, in UdpEndpoint to)
    {
        if (_sleeveSends.Count == _sleeveSends.Capacity)
        {
            SendSleeve();
        }
        Add(_sleeveSends, buffer, offset, length, segmentSize, to);
    }

    /// <summary>Sends what is queued on both sockets; every buffer is free again.</summary>
    public void Flush()
    {
        SendVxlan();
        SendSleeve();
        _buffersUsed = 0;
    }

    /// <summary>Hands a send batch to a transport, counts what went and what did not, and empties it.</summary>
    public static void Send(IDatagramTransport transport, PacketBatch sends, ref long sent, ref long failed)
    {
        if (sends.Count == 0)
        {
            return;
        }
        int accepted = transport.Send(sends);
        sent += accepted;
        failed += sends.Count - accepted;
        sends.Count = 0;
    }

    // A full batch sends only itself: the buffer the caller holds may be queued next, so the
    // buffers are free again only when the caller asks for a new one or flushes.
    private void SendVxlan() => Send(_vxlan, _vxlanSends, ref _counters.DatagramsSent, ref _counters.SendFailures);

    private void SendSleeve() => Send(_sleeve, _sleeveSends, ref _counters.SleeveDatagramsSent, ref _counters.SendFailures);

    private static void Add(PacketBatch sends, byte[] buffer, int offset, int length, int segmentSize, in UdpEndpoint to)
    {
        int slot = sends.Count++;
        sends.Set(slot, buffer, offset, length);
        sends.SegmentSizes[slot] = segmentSize;
        sends.Endpoints[slot] = to;
    }
}
