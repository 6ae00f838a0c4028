using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The TAP thread's stage from the bridge to peers: each frame read is classified (our own
/// injection come back? above the overlay MTU? known unicast, or for everyone?), routed by the
/// <see cref="ForwardingPlan"/>, wrapped by its route's <see cref="Encapsulation"/> (super-frames
/// cut into segments, or chunks for a sealed neighbour that takes them) and queued in the
/// <see cref="Outbox"/>, which sends at the end of the batch. Everything here belongs to the TAP
/// thread (or a test calling <see cref="Forward"/>).
/// </summary>
internal sealed class BridgeReader
{
    private readonly Forwarder _forwarder;
    private readonly Outbox _outbox;
    private readonly TooBigCheck _tooBig;
    private readonly long _loopWindowTicks;

    public BridgeReader(Forwarder forwarder, ITapDevice tap, IDatagramTransport vxlan, IDatagramTransport sleeve, int sendBatchSize, int segmentBuffers)
    {
        _forwarder = forwarder;
        _outbox = new Outbox(vxlan, sleeve, forwarder.Counters, sendBatchSize, segmentBuffers);
        _tooBig = new TooBigCheck(tap, forwarder.Counters);
        _loopWindowTicks = forwarder.Ticks(Forwarder.LoopWindow);
    }

    /// <summary>Where the TAP thread's own heartbeats are queued too.</summary>
    public Outbox Outbox => _outbox;

    /// <summary>
    /// One batch read from the bridge: the <see cref="PacketBatch.Count"/> frames of
    /// <paramref name="frames"/> (each at the headroom of its buffer, with its offloads) go to peers,
    /// each wrapped as its route says. Returns the sends handed to the transports (a GSO send of
    /// many datagrams counts once). Allocation-free.
    /// </summary>
    public int Forward(PacketBatch frames)
    {
        ForwardingPlan plan = _forwarder.Plan;
        ForwarderCounters counters = _forwarder.Counters;
        long sentBefore = _outbox.Sent;
        long now = _forwarder.Time.GetTimestamp();
        if (Forwarder.IsBulk(frames))
        {
            _forwarder.NoteBridgeBulk(now); // bulk both ways gives a socket its own thread (Forwarder.Handoff.cs)
        }
        for (int i = 0; i < frames.Count; i++)
        {
            counters.FramesFromBridge++;
            Span<byte> frame = frames.Packet(i);
            if (frame.Length < EthernetFrame.HeaderSizeBytes)
            {
                counters.DropsTooShort++;
                continue;
            }
            if (IsOwnInjection(EthernetFrame.Source(frame), now))
            {
                counters.DropsLooped++;
                continue;
            }
            VirtioNetHeader offload = frames.Offloads[i];
            TcpSuperFrame layout = default;
            if (offload.IsGso && !TcpSegmenter.TryParse(frame, offload, out layout))
            {
                counters.DropsBadOffload++;
                continue;
            }
            if (offload.IsGso ? _tooBig.Dropped(frame, layout, _forwarder.Mtu) : _tooBig.Dropped(frame, _forwarder.Mtu))
            {
                continue; // above the overlay MTU: answered with ICMP where allowed (TooBigCheck.cs)
            }
            ulong destination = EthernetFrame.Destination(frame);
            PeerName origin = default;
            bool known = !EthernetFrame.IsGroup(destination) && _forwarder.Macs.TryLookup(destination, out origin, out _);
            PeerRoute route = default;
            if (known && !plan.TryGetRoute(origin, out route))
            {
                counters.DropsNoRoute++;
                continue;
            }
            if (!known && plan.Flood.Length == 0)
            {
                counters.DropsNoPeers++;
                continue;
            }
            if (offload.IsGso)
            {
                if (known && GoesAsChunks(route, origin, now))
                {
                    SendChunks(frame, offload, route.Hop);
                }
                else
                {
                    SendSegmented(frame, layout, known, route, origin, plan);
                }
                continue;
            }
            if (known)
            {
                SendFrame(frames.Buffers[i], frames.Offsets[i], frame.Length, route, origin);
            }
            else
            {
                FloodFrame(frames.Buffers[i], frames.Offsets[i], frame.Length, plan);
            }
        }
        _outbox.Flush();
        return (int)(_outbox.Sent - sentBefore);
    }

    /// <summary>
    /// True when <paramref name="source"/> was seen behind a peer within the loop window: the
    /// frame is one we injected, come back. An older entry means the MAC now lives on our bridge:
    /// the remote entry is forgotten (rare: it may log) and the frame goes on.
    /// </summary>
    private bool IsOwnInjection(ulong source, long now)
    {
        if (!_forwarder.Macs.TryLookup(source, out PeerName origin, out long lastSeen))
        {
            return false;
        }
        if (now - lastSeen < _loopWindowTicks)
        {
            return true;
        }
        if (_forwarder.Macs.Remove(source))
        {
            _forwarder.Counters.MacsMovedHere++;
            RouterLog.MacMovedHere(_forwarder.Log, EthernetFrame.Format(source), origin.ToString());
        }
        return false;
    }

    /// <summary>A known unicast frame, wrapped in place (in the headroom in front of it) as its route says.</summary>
    private void SendFrame(byte[] buffer, int offset, int length, in PeerRoute route, PeerName origin)
    {
        Encapsulation wrap = route.Encapsulation;
        int start = offset - wrap.HeaderBytes;
        wrap.WriteHeader(buffer.AsSpan(start), SleeveKind.Unicast, _forwarder.Self, origin, _forwarder.Vni);
        QueueOne(wrap, route.Hop, buffer, start, length);
    }

    /// <summary>
    /// A frame for everyone, to each neighbour of our flood: one header in place serves every
    /// neighbour whose encapsulation does not name it (the VXLAN leaves of our broadcast tree); the
    /// others (the sleeve, naming the neighbour that relays further) each get a copy.
    /// </summary>
    private void FloodFrame(byte[] buffer, int offset, int length, ForwardingPlan plan)
    {
        Encapsulation? inPlace = null;
        foreach (FloodHop hop in plan.Flood)
        {
            Encapsulation wrap = hop.Encapsulation;
            if (!wrap.NamesHop && (inPlace is null || inPlace == wrap))
            {
                if (inPlace is null)
                {
                    wrap.WriteHeader(buffer.AsSpan(offset - wrap.HeaderBytes), SleeveKind.Flood, _forwarder.Self, default, _forwarder.Vni);
                    inPlace = wrap;
                }
                QueueOne(wrap, hop.Peer, buffer, offset - wrap.HeaderBytes, length);
                continue;
            }
            byte[] copy = _outbox.RentBuffer();
            wrap.WriteHeader(copy, SleeveKind.Flood, _forwarder.Self, hop.Peer.Name, _forwarder.Vni);
            buffer.AsSpan(offset, length).CopyTo(copy.AsSpan(wrap.HeaderBytes));
            QueueOne(wrap, hop.Peer, copy, 0, length);
        }
    }

    /// <summary>
    /// Queues one wrapped frame of <paramref name="length"/> bytes whose header is at
    /// <paramref name="start"/>, sealed first when its encapsulation seals, on the socket its
    /// encapsulation names.
    /// </summary>
    private void QueueOne(Encapsulation wrap, DataPeer hop, byte[] buffer, int start, int length)
    {
        if (wrap.TailBytes > 0)
        {
            Span<DatagramSlice> payload = [new DatagramSlice(start + wrap.HeaderBytes, length)];
            if (!wrap.TrySeal(hop, buffer, payload, buffer.AsSpan(start, SleeveHeader.SizeBytes)))
            {
                _forwarder.Counters.DropsSealFailed++;
                return;
            }
        }
        _outbox.Queue(wrap, buffer, start, wrap.HeaderBytes + length + wrap.TailBytes, 0, wrap.EndpointOf(hop));
    }

    /// <summary>
    /// Cuts a TCP super-frame into MTU-sized frames, each behind its header, back to back in a
    /// segment buffer: one UDP GSO send per 64 segments / 65,507 bytes. A known destination gets
    /// one cut; a flood one cut for all the neighbours that share a header (the VXLAN leaves) and
    /// one per neighbour named in its header.
    /// </summary>
    private void SendSegmented(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, bool known, in PeerRoute route,
        PeerName origin, ForwardingPlan plan)
    {
        if (known)
        {
            Segment(frame, layout, route.Encapsulation, SleeveKind.Unicast, origin, route.Hop, null);
            return;
        }
        Encapsulation? shared = null;
        foreach (FloodHop hop in plan.Flood)
        {
            Encapsulation wrap = hop.Encapsulation;
            if (!wrap.NamesHop && (shared is null || shared == wrap))
            {
                shared = wrap;
                continue;
            }
            Segment(frame, layout, wrap, SleeveKind.Flood, hop.Peer.Name, hop.Peer, null);
        }
        if (shared is not null)
        {
            Segment(frame, layout, shared, SleeveKind.Flood, default, null, plan.Flood);
        }
    }

    /// <summary>
    /// Segments wrapped by <paramref name="wrap"/> to <paramref name="single"/>, or to every
    /// neighbour of <paramref name="flood"/> with that encapsulation. Sealed segments leave room for
    /// the tag behind each frame and are sealed in one call per GSO send; the overhead is the same
    /// for each, so the segments stay of equal size.
    /// </summary>
    private void Segment(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, Encapsulation wrap, SleeveKind kind, PeerName target,
        DataPeer? single, FloodHop[]? flood)
    {
        Span<int> lengths = stackalloc int[UdpBatch.MaxGsoSegments];
        Span<DatagramSlice> payloads = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        int header = wrap.HeaderBytes;
        int tail = wrap.TailBytes;
        int next = 0;
        while (next < layout.SegmentCount)
        {
            byte[] buffer = _outbox.RentBuffer();
            int count = TcpSegmenter.Segment(frame, layout, next, buffer.AsSpan(0, UdpBatch.MaxIPv4Payload), header, lengths, tail);
            if (count == 0)
            {
                _forwarder.Counters.DropsBadOffload++; // a segment larger than a datagram: a bogus gso_size
                return;
            }
            int position = 0;
            for (int k = 0; k < count; k++)
            {
                wrap.WriteHeader(buffer.AsSpan(position), kind, _forwarder.Self, target, _forwarder.Vni);
                payloads[k] = new DatagramSlice(position + header, lengths[k]);
                position += header + lengths[k] + tail;
            }
            if (tail > 0 && !wrap.TrySeal(single!, buffer, payloads[..count], buffer.AsSpan(0, SleeveHeader.SizeBytes)))
            {
                _forwarder.Counters.DropsSealFailed += count;
                return;
            }
            QueueSegments(wrap, buffer, 0, position, count > 1 ? header + lengths[0] + tail : 0, single, flood);
            _forwarder.Counters.SegmentsFromBridge += count;
            next += count;
        }
    }

    /// <summary>Whether a super-frame for <paramref name="origin"/> goes as chunks: its route's hop is that
    /// peer itself, sealed, takes chunks, and has not lately said that they arrive incomplete.</summary>
    private static bool GoesAsChunks(in PeerRoute route, PeerName origin, long now) =>
        route.Hop.TakesChunks && route.Hop.Seals && route.Hop.Name == origin && now >= Volatile.Read(ref route.Hop.Chunks.PausedUntil);

    /// <summary>
    /// A TCP super-frame for a sealed neighbour that takes chunks (<see cref="ChunkHeader"/>): its
    /// bytes as they are, cut into pieces that make each datagram as long as a sealed full-sized
    /// frame (so the path MTU the overlay MTU was chosen for holds), each behind a sleeve header
    /// and a chunk header, sealed in one call per GSO send, each piece read where it lies in the
    /// frame. No TCP headers are written and no checksums computed: the neighbour writes the
    /// super-frame to its bridge whole, with its partial checksum, as the kernel handed it to us.
    /// </summary>
    private void SendChunks(ReadOnlySpan<byte> frame, in VirtioNetHeader offload, DataPeer to)
    {
        Span<DatagramSlice> payloads = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        Span<DatagramSlice> pieces = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        int pieceBytes = _forwarder.Mtu + EthernetFrame.HeaderSizeBytes - ChunkHeader.SizeBytes;
        int fullDatagram = SleeveHeader.SealedOverheadBytes + ChunkHeader.SizeBytes + pieceBytes;
        var header = new SleeveHeader(SleeveKind.Chunk, _forwarder.Self, to.Name, Sealed: true);
        uint number = to.Chunks.NextFrame++;
        int offset = 0;
        while (offset < frame.Length)
        {
            byte[] buffer = _outbox.RentBuffer();
            int position = 0;
            int count = 0;
            while (offset < frame.Length && count < payloads.Length && position + fullDatagram <= UdpBatch.MaxIPv4Payload)
            {
                int piece = Math.Min(pieceBytes, frame.Length - offset);
                int payload = position + SleeveHeader.SealedPayloadOffset;
                header.Write(buffer.AsSpan(position));
                new ChunkHeader(number, frame.Length, offset, offload.GsoType, offload.GsoSize).Write(buffer.AsSpan(payload));
                pieces[count] = new DatagramSlice(offset, piece);
                payloads[count++] = new DatagramSlice(payload, ChunkHeader.SizeBytes);
                position += SleeveHeader.SealedOverheadBytes + ChunkHeader.SizeBytes + piece;
                offset += piece;
            }
            // Each piece is sealed straight from the frame, behind its chunk header (one AEGIS block).
            if (!to.Sealing!.TrySeal(buffer, payloads[..count], buffer.AsSpan(0, SleeveHeader.SizeBytes), frame, pieces[..count]))
            {
                _forwarder.Counters.DropsSealFailed += count;
                return;
            }
            _outbox.QueueSleeve(buffer, 0, position, count > 1 ? fullDatagram : 0, to.SleeveAddress);
            _forwarder.Counters.SleeveFramesFromBridge++;
            _forwarder.Counters.SleeveChunksSent += count;
        }
    }

    /// <summary>Queues a cut (one datagram or a GSO send) to <paramref name="single"/>, or to each
    /// neighbour of <paramref name="flood"/> wrapped by <paramref name="wrap"/>.</summary>
    private void QueueSegments(Encapsulation wrap, byte[] buffer, int offset, int length, int segmentSize,
        DataPeer? single, FloodHop[]? flood)
    {
        if (single is not null)
        {
            _outbox.Queue(wrap, buffer, offset, length, segmentSize, wrap.EndpointOf(single));
            return;
        }
        foreach (FloodHop hop in flood!)
        {
            if (hop.Encapsulation == wrap)
            {
                _outbox.Queue(wrap, buffer, offset, length, segmentSize, wrap.EndpointOf(hop.Peer));
            }
        }
    }
}
