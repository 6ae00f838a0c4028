using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>The TAP thread: frames from the bridge to peers.</summary>
public sealed partial class Forwarder
{
    // Owned by the TAP thread (or a test calling ForwardFromBridge): where super-frames are cut.
    private readonly byte[][] _segmentBuffers;
    private int _segmentBuffersUsed;

    private void TapLoop()
    {
        var frames = new PacketBatch(_tap.BatchSize, allocateBuffers: true);
        var sends = new PacketBatch(SendBatchSize, allocateBuffers: false);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                frames.Count = _tap.Read(frames, PollMilliseconds);
                ForwardFromBridge(frames, sends);
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is ObjectDisposedException or IOException)
        {
            // Shutting down: the device went away under a blocking read.
        }
        catch (Exception e)
        {
            RouterLog.DataPlaneThreadFailed(_log, e, Thread.CurrentThread.Name ?? "");
            throw;
        }
    }

    /// <summary>
    /// One batch of the TAP thread: the <see cref="PacketBatch.Count"/> frames of
    /// <paramref name="frames"/> (each at the headroom of its buffer, with its offloads) go to peers
    /// through <paramref name="sends"/>. Returns the sends handed to the transport (a GSO send of
    /// many datagrams counts once). Allocation-free.
    /// </summary>
    internal int ForwardFromBridge(PacketBatch frames, PacketBatch sends)
    {
        DataPeer[] peers = _peers;
        ForwarderCounters counters = Counters;
        long sentBefore = counters.DatagramsSent;
        sends.Count = 0;
        _segmentBuffersUsed = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            counters.FramesFromBridge++;
            Span<byte> frame = frames.Packet(i);
            if (frame.Length < EthernetFrame.HeaderSizeBytes)
            {
                counters.DropsTooShort++;
                continue;
            }
            if (_macs.Lookup(EthernetFrame.Source(frame)) is not null)
            {
                counters.DropsLooped++;
                continue;
            }
            if (DroppedAsTooBig(frame, frames.Offloads[i]))
            {
                continue; // above the overlay MTU: answered with ICMP where allowed (Forwarder.TooBig.cs)
            }
            ulong destination = EthernetFrame.Destination(frame);
            DataPeer? owner = EthernetFrame.IsGroup(destination) ? null : _macs.Lookup(destination);
            if (owner is null && peers.Length == 0)
            {
                counters.DropsNoPeers++;
                continue;
            }
            VirtioNetHeader offload = frames.Offloads[i];
            if (offload.IsGso)
            {
                SendSegmented(frame, offload, owner, peers, sends);
                continue;
            }
            if (offload.NeedsChecksum && !InternetChecksum.TryCompletePartial(frame, offload.ChecksumStart, offload.ChecksumOffset))
            {
                counters.DropsBadOffload++;
                continue;
            }
            byte[] buffer = frames.Buffers[i];
            int start = frames.Offsets[i] - VxlanHeader.SizeBytes;
            VxlanHeader.Write(buffer.AsSpan(start), _vni);
            QueueTo(sends, buffer, start, frame.Length + VxlanHeader.SizeBytes, 0, owner, peers);
        }
        Flush(sends);
        return (int)(counters.DatagramsSent - sentBefore);
    }

    /// <summary>
    /// Cuts a TCP super-frame into MTU-sized frames, each behind a VXLAN header, back to back in a
    /// segment buffer: one UDP GSO send per 64 segments / 65,507 bytes (or, without GSO, one
    /// datagram per segment).
    /// </summary>
    private void SendSegmented(ReadOnlySpan<byte> frame, in VirtioNetHeader offload, DataPeer? owner, DataPeer[] peers, PacketBatch sends)
    {
        if (!TcpSegmenter.TryParse(frame, offload, out TcpSuperFrame layout))
        {
            Counters.DropsBadOffload++;
            return;
        }
        Span<int> lengths = stackalloc int[UdpBatch.MaxGsoSegments];
        bool gso = _udp.SupportsSegmentation;
        int next = 0;
        while (next < layout.SegmentCount)
        {
            byte[] buffer = RentSegmentBuffer(sends);
            int count = TcpSegmenter.Segment(frame, layout, next, buffer.AsSpan(0, UdpBatch.MaxIPv4Payload),
                VxlanHeader.SizeBytes, lengths);
            if (count == 0)
            {
                Counters.DropsBadOffload++; // a segment larger than a datagram: a bogus gso_size
                return;
            }
            int position = 0;
            for (int k = 0; k < count; k++)
            {
                VxlanHeader.Write(buffer.AsSpan(position), _vni);
                int datagram = VxlanHeader.SizeBytes + lengths[k];
                if (!gso)
                {
                    QueueTo(sends, buffer, position, datagram, 0, owner, peers);
                }
                position += datagram;
            }
            if (gso)
            {
                QueueTo(sends, buffer, 0, position, count > 1 ? VxlanHeader.SizeBytes + lengths[0] : 0, owner, peers);
            }
            Counters.SegmentsFromBridge += count;
            next += count;
        }
    }

    /// <summary>A free segment buffer; when all are taken, what is queued is sent first.</summary>
    private byte[] RentSegmentBuffer(PacketBatch sends)
    {
        if (_segmentBuffersUsed == _segmentBuffers.Length)
        {
            Flush(sends);
            _segmentBuffersUsed = 0;
        }
        return _segmentBuffers[_segmentBuffersUsed++];
    }

    private void QueueTo(PacketBatch sends, byte[] buffer, int offset, int length, int segmentSize, DataPeer? owner, DataPeer[] peers)
    {
        if (owner is not null)
        {
            Queue(sends, buffer, offset, length, segmentSize, owner);
            return;
        }
        foreach (DataPeer peer in peers)
        {
            Queue(sends, buffer, offset, length, segmentSize, peer);
        }
    }

    private void Queue(PacketBatch sends, byte[] buffer, int offset, int length, int segmentSize, DataPeer peer)
    {
        if (sends.Count == sends.Capacity)
        {
            Flush(sends);
        }
        int slot = sends.Count++;
        sends.Set(slot, buffer, offset, length);
        sends.SegmentSizes[slot] = segmentSize;
        sends.Endpoints[slot] = peer.Address;
    }

    private void Flush(PacketBatch sends)
    {
        if (sends.Count == 0)
        {
            return;
        }
        int sent = _udp.Send(sends);
        Counters.DatagramsSent += sent;
        Counters.SendFailures += sends.Count - sent;
        sends.Count = 0;
    }
}
