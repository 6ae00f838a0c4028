using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The sleeve path's send stage: datagrams for other peers, passed on unchanged, sealed again in
/// place or copied behind a new header, waiting to go with one sendmmsg. Owned by the thread holding
/// the sleeve socket; it moves with the socket (Forwarder.Handoff.cs). A rented copy buffer stays
/// valid until the next flush. Allocation-free.
/// </summary>
internal sealed class RelayOutbox
{
    private readonly IDatagramTransport _sleeve;
    private readonly ForwarderCounters _counters;
    private readonly PacketBatch _sends;
    private readonly byte[][] _buffers;
    private int _buffersUsed;

    public RelayOutbox(IDatagramTransport sleeve, ForwarderCounters counters, int batchSize, int bufferCount)
    {
        _sleeve = sleeve;
        _counters = counters;
        _sends = new PacketBatch(batchSize, allocateBuffers: false);
        _buffers = PacketBatch.AllocateBuffers(bufferCount);
    }

    /// <summary>A free buffer for a copy; when all are taken, what is queued is sent first.</summary>
    public byte[] RentBuffer()
    {
        if (_buffersUsed == _buffers.Length)
        {
            Flush();
        }
        return _buffers[_buffersUsed++];
    }

    /// <summary>
    /// Queues a relayed datagram. One that directly follows the previous one in the same buffer, to
    /// the same next hop and no longer than it (the next datagram of a GRO run, relayed unchanged
    /// or sealed again in place) becomes one more segment of the previous slot's UDP GSO send: a
    /// run relays in one send, as it arrived in one receive. Datagrams above
    /// <paramref name="maxSegmentBytes"/> always go one per slot: a GSO segment above the path MTU
    /// fails the whole send (EINVAL), where a lone datagram is fragmented by the kernel (path MTU
    /// discovery is off on these sockets).
    /// </summary>
    public void Queue(byte[] buffer, int offset, int length, in UdpEndpoint to, int maxSegmentBytes)
    {
        int last = _sends.Count - 1;
        if (last >= 0 && length <= maxSegmentBytes &&
            ExtendsGsoSend(_sends, last, buffer, offset, length, to))
        {
            if (_sends.SegmentSizes[last] == 0)
            {
                _sends.SegmentSizes[last] = _sends.Lengths[last];
            }
            _sends.Lengths[last] += length;
            return;
        }
        if (_sends.Count == _sends.Capacity)
        {
            Send();
        }
        int slot = _sends.Count++;
        _sends.Set(slot, buffer, offset, length);
        _sends.Endpoints[slot] = to;
    }

    /// <summary>Sends what is queued; the copy buffers are free again.</summary>
    public void Flush()
    {
        Send();
        _buffersUsed = 0;
    }

    // A full batch sends only itself: the copy the caller holds may be queued next.
    private void Send() => Outbox.Send(_sleeve, _sends, ref _counters.SleeveRelaysSent, ref _counters.SleeveRelayFailures);

    /// <summary>Whether a datagram at <paramref name="offset"/> can join send <paramref name="slot"/>
    /// as its next GSO segment: right behind it in the same buffer, to the same address, every
    /// segment so far full-sized, no longer than one, within the kernel's segment and size caps.</summary>
    private static bool ExtendsGsoSend(PacketBatch sends, int slot, byte[] buffer, int offset, int length, in UdpEndpoint to)
    {
        int total = sends.Lengths[slot];
        int segment = sends.SegmentSizes[slot] > 0 ? sends.SegmentSizes[slot] : total;
        return sends.Buffers[slot] == buffer && sends.Offsets[slot] + total == offset && sends.Endpoints[slot] == to &&
            length <= segment && total % segment == 0 && total / segment < UdpBatch.MaxGsoSegments &&
            total + length <= UdpBatch.MaxIPv4Payload;
    }
}
