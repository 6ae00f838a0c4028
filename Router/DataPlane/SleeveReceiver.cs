using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The sleeve path's receive stage: datagrams from neighbours' sleeve ports, for us (delivered to
/// the bridge) or for other peers (relayed). From a neighbour that seals, each datagram is opened
/// (in place, with that neighbour's keys) before anything but its header is read; a relayed one is
/// sealed again for the next hop. Frames for us are coalesced into TCP super-frames as on the VXLAN
/// path (with a password all traffic comes this way), and chunked super-frames put together. Its
/// state (receive batch, relays, chunk assembler, bridge writer) belongs to the thread holding the
/// sleeve socket (Forwarder.Handoff.cs).
/// </summary>
internal sealed class SleeveReceiver : SocketReader
{
    private readonly Forwarder _forwarder;
    private readonly RelayOutbox _relays;
    private readonly ChunkAssembler? _chunks; // null when the TAP takes no super-frames

    public SleeveReceiver(Forwarder forwarder, IDatagramTransport socket, ITapDevice tap, int bridgeBatchSize, int coalesceBuffers,
        int sendBatchSize, int relayBuffers)
        : base(DataSources.Sleeve, socket, PacketBatch.Headroom - SleeveHeader.SizeBytes)
    {
        _forwarder = forwarder;
        Writer = new TapWriter(tap, forwarder.Counters.SleeveDelivery, bridgeBatchSize, coalesceBuffers);
        _relays = new RelayOutbox(socket, forwarder.Counters, sendBatchSize, relayBuffers);
        _chunks = tap.SupportsOffloads ? new ChunkAssembler() : null;
    }

    public TapWriter Writer { get; }

    /// <summary>Whether chunked super-frames are put together here (the TAP takes super-frames).</summary>
    public bool TakesChunks => _chunks is not null;

    /// <summary>
    /// One batch of the sleeve path: each datagram (or each of a GRO run) is checked, then
    /// relayed unchanged towards its destination, or delivered to the bridge (learning its source
    /// MAC behind the header's source) and, for a flood, copied to our children in the source's
    /// broadcast tree. Returns the frames the TAP accepted. Allocation-free once every source MAC
    /// has been learned.
    /// </summary>
    public override int Forward(PacketBatch datagrams)
    {
        ForwardingPlan plan = _forwarder.Plan;
        ForwarderCounters counters = _forwarder.Counters;
        long now = _forwarder.Time.GetTimestamp();
        long writtenBefore = Writer.Counters.Written;
        for (int i = 0; i < datagrams.Count; i++)
        {
            byte[] buffer = datagrams.Buffers[i];
            int offset = datagrams.Offsets[i];
            int length = datagrams.Lengths[i];
            int segment = SegmentSize(datagrams, i);
            DataPeer? sender = plan.FindBySleeveAddress(datagrams.Endpoints[i]); // a GRO run comes from one source
            for (int at = 0; at < Math.Max(length, 1); at += segment)
            {
                counters.SleeveDatagramsReceived++;
                int start = offset + at;
                int size = Math.Min(segment, length - at);
                if (sender is null)
                {
                    counters.SleeveDropsUnknownSender++;
                    continue;
                }
                if (!SleeveHeader.TryRead(buffer.AsSpan(start, size), out SleeveHeader header))
                {
                    counters.SleeveDropsBadHeader++;
                    continue;
                }
                if (header.Sealed != sender.Seals)
                {
                    // Plaintext from a peer that must seal (or sealed from one that does not).
                    counters.SleeveDropsSealMismatch++;
                    continue;
                }
                int payloadStart = start + SleeveHeader.SizeBytes;
                int payloadLength = size - SleeveHeader.SizeBytes;
                if (sender.Sealing is DataSealing sealing)
                {
                    if (sealing.Open(buffer, start, size, out DatagramSlice opened) != DatagramOpenStatus.Opened)
                    {
                        counters.SleeveDropsUnopened++; // why: SealingCounters
                        continue;
                    }
                    payloadStart = opened.Offset;
                    payloadLength = opened.Length;
                }
                ReadOnlySpan<byte> payload = buffer.AsSpan(payloadStart, payloadLength);
                if (header.Kind == SleeveKind.Heartbeat)
                {
                    if (header.Source == sender.Name && header.Destination == _forwarder.Self &&
                        _forwarder.ReceiveHeartbeat(sender, payload, vxlan: false, now))
                    {
                        counters.SleeveHeartbeatsReceived++;
                    }
                    else
                    {
                        counters.SleeveDropsBadHeartbeat++;
                    }
                    continue;
                }
                if (header.Kind == SleeveKind.Chunk)
                {
                    ReceiveChunk(sender, header, buffer.AsSpan(payloadStart, payloadLength), now);
                    continue;
                }
                if (payload.Length < EthernetFrame.HeaderSizeBytes || header.Source == _forwarder.Self || header.Source == default)
                {
                    counters.SleeveDropsBadHeader++;
                    continue;
                }
                if (header.Destination != _forwarder.Self)
                {
                    RelayUnicast(buffer, start, header, payload, sender, plan);
                    continue;
                }
                _forwarder.LearnSource(EthernetFrame.Source(payload), header.Source, now, sleeveThread: true);
                Writer.Add(buffer, payloadStart, payloadLength);
                if (header.Kind == SleeveKind.Flood && plan.Routes is RouteTable routes)
                {
                    RelayFlood(payload, header.Source, sender, routes.BroadcastNextHops(header.Source), plan);
                }
            }
        }
        _relays.Flush();
        WriteSleeveFrames();
        return (int)(Writer.Counters.Written - writtenBefore);
    }

    /// <summary>
    /// A piece of a chunked super-frame, opened: only from the neighbour that is its source, for us,
    /// sealed, with a header that describes a piece of a TCP super-frame. A completed frame must
    /// parse as the super-frame its header says (checked as one read from our own TAP is) before it
    /// is written to the bridge, with a virtio-net header we build from it.
    /// </summary>
    private void ReceiveChunk(DataPeer sender, in SleeveHeader header, ReadOnlySpan<byte> payload, long now)
    {
        ForwarderCounters counters = _forwarder.Counters;
        if (_chunks is null || header.Source != sender.Name || header.Destination != _forwarder.Self || !header.Sealed ||
            !ChunkHeader.TryRead(payload, out ChunkHeader chunk))
        {
            counters.SleeveDropsBadChunk++;
            return;
        }
        counters.SleeveChunksReceived++;
        if (!Writer.HasRoomFor(2))
        {
            WriteSleeveFrames(); // before a frame completes: the write frees completed frames' buffers
        }
        long abandonedBefore = _chunks.FramesAbandoned;
        bool complete = _chunks.Add(sender, chunk, payload[ChunkHeader.SizeBytes..], out byte[] buffer, out int length, out bool dropped);
        counters.SleeveChunkedFramesAbandoned += _chunks.FramesAbandoned - abandonedBefore;
        if (dropped)
        {
            counters.SleeveDropsBadChunk++;
        }
        if (!complete)
        {
            return;
        }
        ReadOnlySpan<byte> frame = buffer.AsSpan(PacketBatch.Headroom, length);
        var offload = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, chunk.GsoType, 0, chunk.GsoSize, 0, 0);
        if (!TcpSegmenter.TryParse(frame, offload, out TcpSuperFrame layout))
        {
            counters.SleeveDropsBadChunk++;
            return;
        }
        _forwarder.LearnSource(EthernetFrame.Source(frame), header.Source, now, sleeveThread: true);
        Writer.AddSuperFrame(buffer, PacketBatch.Headroom, length, new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum,
            chunk.GsoType, (ushort)layout.HeaderLength, chunk.GsoSize, (ushort)layout.TcpOffset, 16));
        counters.SleeveChunkedFramesToBridge++;
    }

    /// <summary>Writes the sleeve thread's frames to the bridge; completed chunked frames' buffers are free again.</summary>
    private void WriteSleeveFrames()
    {
        Writer.Write();
        _chunks?.Recycle();
    }

    /// <summary>
    /// A datagram for another peer goes on to that peer's next hop, never back to where it came
    /// from: unchanged between plaintext links; sealed again in place with the next hop's keys
    /// between sealed ones (hop by hop, as Weave did); copied where the two differ.
    /// </summary>
    private void RelayUnicast(byte[] buffer, int start, in SleeveHeader header, ReadOnlySpan<byte> frame, DataPeer sender, ForwardingPlan plan)
    {
        if (!plan.TryGetRoute(header.Destination, out PeerRoute route) || route.Hop == sender)
        {
            _forwarder.Counters.SleeveDropsNoRoute++;
            return;
        }
        DataPeer next = route.Hop;
        if (next.Seals != sender.Seals)
        {
            QueueRelayCopy(header with { Sealed = next.Seals }, frame, next);
        }
        else if (Forwarder.TrySealOne(buffer, start, frame.Length, next, out int length))
        {
            _relays.Queue(buffer, start, length, next.SleeveAddress, MaxRelaySegmentBytes);
        }
        else
        {
            _forwarder.Counters.SleeveDropsSealFailed++;
            return;
        }
        _forwarder.Counters.SleeveRelayed++;
    }

    /// <summary>A copy of a flood, renamed for each of our children in the source's tree (and sealed for it when it seals).</summary>
    private void RelayFlood(ReadOnlySpan<byte> frame, PeerName source, DataPeer sender, IReadOnlyList<PeerName> children, ForwardingPlan plan)
    {
        for (int c = 0; c < children.Count; c++)
        {
            PeerName child = children[c];
            if (child == sender.Name || child == source || !plan.TryGetNeighbour(child, out DataPeer next))
            {
                _forwarder.Counters.SleeveDropsNoRoute++;
                continue;
            }
            if (QueueRelayCopy(new SleeveHeader(SleeveKind.Flood, source, child, next.Seals), frame, next))
            {
                _forwarder.Counters.SleeveFloodsRelayed++;
            }
        }
    }

    /// <summary>Queues <paramref name="frame"/> behind <paramref name="header"/> in a relay buffer, sealed when <paramref name="to"/> seals.</summary>
    private bool QueueRelayCopy(in SleeveHeader header, ReadOnlySpan<byte> frame, DataPeer to)
    {
        byte[] copy = _relays.RentBuffer();
        header.Write(copy);
        frame.CopyTo(copy.AsSpan(SleeveHeader.PayloadOffset(header.Sealed)));
        if (!Forwarder.TrySealOne(copy, 0, frame.Length, to, out int length))
        {
            _forwarder.Counters.SleeveDropsSealFailed++;
            return false;
        }
        _relays.Queue(copy, 0, length, to.SleeveAddress, MaxRelaySegmentBytes);
        return true;
    }

    /// <summary>
    /// The largest datagram our own sends carry (an overlay-MTU frame, sleeve header and sealing).
    /// Larger ones, from a peer with a larger MTU, are relayed one per slot (<see cref="RelayOutbox.Queue"/>).
    /// </summary>
    private int MaxRelaySegmentBytes => _forwarder.Mtu + EthernetFrame.HeaderSizeBytes + SleeveHeader.SealedOverheadBytes;
}
