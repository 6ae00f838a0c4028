using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>The TAP thread: frames from the bridge to peers.</summary>
public sealed partial class Forwarder
{
    // Owned by the TAP thread (or a test calling ForwardFromBridge): where super-frames are cut and
    // flooded frames copied behind a sleeve header, and the sleeve socket's send batch.
    private readonly byte[][] _segmentBuffers;
    private readonly PacketBatch _bridgeSleeveSends;
    private int _segmentBuffersUsed;

    private void TapLoop()
    {
        var frames = new PacketBatch(_tap.BatchSize, allocateBuffers: true);
        var sends = new PacketBatch(SendBatchSize, allocateBuffers: false);
        IDataReadiness? readiness = Readiness;
        RunUntilStopped(() =>
        {
            if (readiness is null)
            {
                frames.Count = _tap.Read(frames, PollMilliseconds);
                ForwardFromBridge(frames, sends);
            }
            else
            {
                ServeReady(readiness, frames, sends); // the TAP, and the sockets while traffic is light
            }
            SendHeartbeats(_time.GetTimestamp(), sends);
        });
    }

    /// <summary>
    /// One batch of the TAP thread: the <see cref="PacketBatch.Count"/> frames of
    /// <paramref name="frames"/> (each at the headroom of its buffer, with its offloads) go to peers
    /// through <paramref name="sends"/> (VXLAN) and the sleeve socket. Returns the sends handed to
    /// the transports (a GSO send of many datagrams counts once). Allocation-free.
    /// </summary>
    internal int ForwardFromBridge(PacketBatch frames, PacketBatch sends)
    {
        ForwardingPlan plan = _plan;
        ForwarderCounters counters = Counters;
        long sentBefore = counters.DatagramsSent + counters.SleeveDatagramsSent;
        long now = _time.GetTimestamp();
        sends.Count = 0;
        _bridgeSleeveSends.Count = 0;
        _segmentBuffersUsed = 0;
        if (IsBulk(frames))
        {
            Volatile.Write(ref _lastBridgeBulk, now); // bulk both ways gives a socket its own thread (Forwarder.Handoff.cs)
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
            if (offload.IsGso ? DroppedAsTooBig(frame, layout) : DroppedAsTooBig(frame))
            {
                continue; // above the overlay MTU: answered with ICMP where allowed (Forwarder.TooBig.cs)
            }
            ulong destination = EthernetFrame.Destination(frame);
            PeerName origin = default;
            bool known = !EthernetFrame.IsGroup(destination) && _macs.TryLookup(destination, out origin, out _);
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
                    SendChunks(frame, offload, route.Hop, sends);
                }
                else
                {
                    SendSegmented(frame, layout, known, route, origin, plan, sends);
                }
                continue;
            }
            if (offload.NeedsChecksum && !InternetChecksum.TryCompletePartial(frame, offload.ChecksumStart, offload.ChecksumOffset))
            {
                counters.DropsBadOffload++;
                continue;
            }
            if (known)
            {
                SendFrame(frames.Buffers[i], frames.Offsets[i], frame.Length, route, origin, sends);
            }
            else
            {
                FloodFrame(frames.Buffers[i], frames.Offsets[i], frame.Length, plan, sends);
            }
        }
        Flush(sends);
        FlushSleeve(_bridgeSleeveSends);
        return (int)(counters.DatagramsSent + counters.SleeveDatagramsSent - sentBefore);
    }

    /// <summary>
    /// True when <paramref name="source"/> was seen behind a peer within the loop window: the
    /// frame is one we injected, come back. An older entry means the MAC now lives on our bridge:
    /// the remote entry is forgotten (rare: it may log) and the frame goes on.
    /// </summary>
    private bool IsOwnInjection(ulong source, long now)
    {
        if (!_macs.TryLookup(source, out PeerName origin, out long lastSeen))
        {
            return false;
        }
        if (now - lastSeen < _loopWindowTicks)
        {
            return true;
        }
        if (_macs.Remove(source))
        {
            Counters.MacsMovedHere++;
            RouterLog.MacMovedHere(_log, EthernetFrame.Format(source), origin.ToString());
        }
        return false;
    }

    /// <summary>A known unicast frame, in place: VXLAN to its origin when a neighbour, else sleeve to the next hop.</summary>
    private void SendFrame(byte[] buffer, int offset, int length, in PeerRoute route, PeerName origin, PacketBatch sends)
    {
        if (route.Direct)
        {
            int start = offset - VxlanHeader.SizeBytes;
            VxlanHeader.Write(buffer.AsSpan(start), _vni);
            Queue(sends, buffer, start, length + VxlanHeader.SizeBytes, 0, route.Hop.Address);
        }
        else
        {
            DataPeer hop = route.Hop;
            int start = offset - SleeveHeader.PayloadOffset(hop.Seals);
            new SleeveHeader(SleeveKind.Unicast, _self, origin, hop.Seals).Write(buffer.AsSpan(start));
            QueueSleeve(buffer, start, length, hop);
        }
    }

    /// <summary>
    /// A frame for everyone: VXLAN (header in place, one buffer for all) to the leaves of our
    /// broadcast tree, and a sleeve copy naming each neighbour that relays further.
    /// </summary>
    private void FloodFrame(byte[] buffer, int offset, int length, ForwardingPlan plan, PacketBatch sends)
    {
        bool vxlanWritten = false;
        foreach (FloodHop hop in plan.Flood)
        {
            if (!hop.Relays)
            {
                if (!vxlanWritten)
                {
                    VxlanHeader.Write(buffer.AsSpan(offset - VxlanHeader.SizeBytes), _vni);
                    vxlanWritten = true;
                }
                Queue(sends, buffer, offset - VxlanHeader.SizeBytes, length + VxlanHeader.SizeBytes, 0, hop.Peer.Address);
                continue;
            }
            byte[] copy = RentSegmentBuffer(sends);
            new SleeveHeader(SleeveKind.Flood, _self, hop.Peer.Name, hop.Peer.Seals).Write(copy);
            buffer.AsSpan(offset, length).CopyTo(copy.AsSpan(SleeveHeader.PayloadOffset(hop.Peer.Seals)));
            QueueSleeve(copy, 0, length, hop.Peer);
        }
    }

    /// <summary>
    /// Cuts a TCP super-frame into MTU-sized frames, each behind its header, back to back in a
    /// segment buffer: one UDP GSO send per 64 segments / 65,507 bytes (or, without GSO, one
    /// datagram per segment). A known destination gets one cut; a flood one cut for all VXLAN
    /// leaves and one per relaying neighbour.
    /// </summary>
    private void SendSegmented(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, bool known, in PeerRoute route,
        PeerName origin, ForwardingPlan plan, PacketBatch sends)
    {
        if (known)
        {
            Encapsulation encapsulation = route.Direct
                ? Encapsulation.Vxlan
                : new Encapsulation(new SleeveHeader(SleeveKind.Unicast, _self, origin, route.Hop.Seals));
            Segment(frame, layout, encapsulation, route.Hop, null, sends);
            return;
        }
        bool leaves = false;
        foreach (FloodHop hop in plan.Flood)
        {
            if (hop.Relays)
            {
                Segment(frame, layout, new Encapsulation(new SleeveHeader(SleeveKind.Flood, _self, hop.Peer.Name, hop.Peer.Seals)), hop.Peer, null, sends);
            }
            else
            {
                leaves = true;
            }
        }
        if (leaves)
        {
            Segment(frame, layout, Encapsulation.Vxlan, null, plan.Flood, sends);
        }
    }

    /// <summary>
    /// Segments to <paramref name="single"/>, or with VXLAN to every leaf of <paramref name="flood"/>.
    /// Sealed segments leave room for the tag behind each frame and are sealed in one call per GSO
    /// send; the overhead is the same for each, so the segments stay of equal size.
    /// </summary>
    private void Segment(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, in Encapsulation encapsulation, DataPeer? single,
        FloodHop[]? flood, PacketBatch sends)
    {
        Span<int> lengths = stackalloc int[UdpBatch.MaxGsoSegments];
        Span<DatagramSlice> payloads = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        int header = encapsulation.SizeBytes;
        int tail = encapsulation.TailBytes;
        bool gso = encapsulation.IsSleeve ? _sleeve.SupportsSegmentation : _vxlan.SupportsSegmentation;
        int next = 0;
        while (next < layout.SegmentCount)
        {
            byte[] buffer = RentSegmentBuffer(sends);
            int count = TcpSegmenter.Segment(frame, layout, next, buffer.AsSpan(0, UdpBatch.MaxIPv4Payload), header, lengths, tail);
            if (count == 0)
            {
                Counters.DropsBadOffload++; // a segment larger than a datagram: a bogus gso_size
                return;
            }
            int position = 0;
            for (int k = 0; k < count; k++)
            {
                encapsulation.Write(buffer.AsSpan(position), _vni);
                payloads[k] = new DatagramSlice(position + header, lengths[k]);
                position += header + lengths[k] + tail;
            }
            if (tail > 0 && !single!.Sealing!.TrySeal(buffer, payloads[..count], buffer.AsSpan(0, SleeveHeader.SizeBytes)))
            {
                Counters.DropsSealFailed += count;
                return;
            }
            if (gso)
            {
                QueueEncapsulated(sends, buffer, 0, position, count > 1 ? header + lengths[0] + tail : 0, encapsulation, single, flood);
            }
            else
            {
                for (int k = 0, at = 0; k < count; at += header + lengths[k] + tail, k++)
                {
                    QueueEncapsulated(sends, buffer, at, header + lengths[k] + tail, 0, encapsulation, single, flood);
                }
            }
            Counters.SegmentsFromBridge += count;
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
    private void SendChunks(ReadOnlySpan<byte> frame, in VirtioNetHeader offload, DataPeer to, PacketBatch sends)
    {
        Span<DatagramSlice> payloads = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        Span<DatagramSlice> pieces = stackalloc DatagramSlice[UdpBatch.MaxGsoSegments];
        int pieceBytes = _mtu + EthernetFrame.HeaderSizeBytes - ChunkHeader.SizeBytes;
        int fullDatagram = SleeveHeader.SealedOverheadBytes + ChunkHeader.SizeBytes + pieceBytes;
        var header = new SleeveHeader(SleeveKind.Chunk, _self, to.Name, Sealed: true);
        uint number = to.Chunks.NextFrame++;
        bool gso = _sleeve.SupportsSegmentation;
        int offset = 0;
        while (offset < frame.Length)
        {
            byte[] buffer = RentSegmentBuffer(sends);
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
                Counters.DropsSealFailed += count;
                return;
            }
            if (gso)
            {
                Queue(_bridgeSleeveSends, buffer, 0, position, count > 1 ? fullDatagram : 0, to.SleeveAddress);
                Counters.SleeveFramesFromBridge++;
            }
            else
            {
                for (int k = 0, at = 0; k < count; k++, at += fullDatagram)
                {
                    Queue(_bridgeSleeveSends, buffer, at, Math.Min(fullDatagram, position - at), 0, to.SleeveAddress);
                    Counters.SleeveFramesFromBridge++;
                }
            }
            Counters.SleeveChunksSent += count;
        }
    }

    private void QueueEncapsulated(PacketBatch sends, byte[] buffer, int offset, int length, int segmentSize,
        in Encapsulation encapsulation, DataPeer? single, FloodHop[]? flood)
    {
        if (single is not null)
        {
            if (encapsulation.IsSleeve)
            {
                Queue(_bridgeSleeveSends, buffer, offset, length, segmentSize, single.SleeveAddress);
                Counters.SleeveFramesFromBridge++;
            }
            else
            {
                Queue(sends, buffer, offset, length, segmentSize, single.Address);
            }
            return;
        }
        foreach (FloodHop hop in flood!)
        {
            if (!hop.Relays)
            {
                Queue(sends, buffer, offset, length, segmentSize, hop.Peer.Address);
            }
        }
    }

    /// <summary>A free segment buffer; when all are taken, what is queued is sent first.</summary>
    private byte[] RentSegmentBuffer(PacketBatch sends)
    {
        if (_segmentBuffersUsed == _segmentBuffers.Length)
        {
            Flush(sends);
            FlushSleeve(_bridgeSleeveSends);
            _segmentBuffersUsed = 0;
        }
        return _segmentBuffers[_segmentBuffersUsed++];
    }

    private void Queue(PacketBatch sends, byte[] buffer, int offset, int length, int segmentSize, in UdpEndpoint to)
    {
        if (sends.Count == sends.Capacity)
        {
            if (ReferenceEquals(sends, _bridgeSleeveSends))
            {
                FlushSleeve(sends);
            }
            else
            {
                Flush(sends);
            }
        }
        int slot = sends.Count++;
        sends.Set(slot, buffer, offset, length);
        sends.SegmentSizes[slot] = segmentSize;
        sends.Endpoints[slot] = to;
    }

    private void Flush(PacketBatch sends) => Send(_vxlan, sends, ref Counters.DatagramsSent, ref Counters.SendFailures);

    private void FlushSleeve(PacketBatch sends) => Send(_sleeve, sends, ref Counters.SleeveDatagramsSent, ref Counters.SendFailures);

    /// <summary>The header in front of each frame we send: VXLAN, or a sleeve header (sealed or not).</summary>
    private readonly struct Encapsulation
    {
        public static Encapsulation Vxlan => default;

        private readonly SleeveHeader _sleeve;

        public Encapsulation(SleeveHeader sleeve)
        {
            _sleeve = sleeve;
            IsSleeve = true;
        }

        public bool IsSleeve { get; }

        /// <summary>Bytes in front of the frame: the header, and the sealer's epoch and counter when sealed.</summary>
        public int SizeBytes => !IsSleeve ? VxlanHeader.SizeBytes : SleeveHeader.PayloadOffset(_sleeve.Sealed);

        /// <summary>Bytes behind the frame: the AEAD tag when sealed.</summary>
        public int TailBytes => IsSleeve && _sleeve.Sealed ? RecordFormat.TagSizeBytes : 0;

        public void Write(Span<byte> destination, int vni)
        {
            if (IsSleeve)
            {
                _sleeve.Write(destination);
            }
            else
            {
                VxlanHeader.Write(destination, vni);
            }
        }
    }
}
