using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// Data-plane counters. Each field has a single writer at a time (the TAP thread, or the thread
/// holding the VXLAN or the sleeve socket, as noted: see Forwarder.Handoff.cs), so increments need
/// no atomics; readers may see a slightly stale value.
/// </summary>
public sealed class ForwarderCounters
{
    // Written by the TAP thread.
    public long FramesFromBridge;
    /// <summary>VXLAN sends handed to the transport: a datagram, or a GSO send of up to 64.</summary>
    public long DatagramsSent;
    /// <summary>Sleeve sends of frames we captured (relayed unicast, floods through relaying neighbours).</summary>
    public long SleeveDatagramsSent;
    /// <summary>Of those, sends queued (a GSO send counts once).</summary>
    public long SleeveFramesFromBridge;
    /// <summary>MTU-sized frames cut from super-frames.</summary>
    public long SegmentsFromBridge;
    /// <summary>Pieces of super-frames sent as chunks to sealed neighbours that take them.</summary>
    public long SleeveChunksSent;
    public long SendFailures;
    public long DropsTooShort;
    /// <summary>Our own injections come back: a source MAC seen behind a peer in the last 10 s.</summary>
    public long DropsLooped;
    /// <summary>Source MACs known behind a peer but silent there for 10 s or more, now on our bridge.</summary>
    public long MacsMovedHere;
    public long DropsNoPeers;
    /// <summary>A known destination MAC whose peer we have no route to.</summary>
    public long DropsNoRoute;
    /// <summary>Heartbeats sent, one per port per neighbour when due.</summary>
    public long HeartbeatsSent;
    /// <summary>A super-frame that is not TCP as announced, or a partial checksum out of the frame.</summary>
    public long DropsBadOffload;
    /// <summary>Frames above the overlay MTU that may not be fragmented (IPv4 with DF, IPv6), or
    /// TCP super-frames without DF whose segments exceed it.</summary>
    public long DropsTooBig;
    /// <summary>ICMP "fragmentation needed" / ICMPv6 "packet too big" answers written to the TAP.</summary>
    public long TooBigReplies;
    /// <summary>Datagrams not sent because a neighbour's data keys are used up (after years: never in practice).</summary>
    public long DropsSealFailed;

    // Written by the thread holding the VXLAN socket.
    /// <summary>Datagrams, counting each of a GRO run.</summary>
    public long DatagramsReceived;
    /// <summary>TAP writes accepted: a frame, or a super-frame of coalesced segments.</summary>
    public long FramesToBridge => VxlanDelivery.Written;
    /// <summary>Frames merged into the super-frame before them.</summary>
    public long SegmentsCoalesced => VxlanDelivery.Coalesced;
    public long DropsBadHeader;
    public long DropsUnknownSender;
    public long DropsBridgeRefused => VxlanDelivery.Refused;
    internal TapWriterCounters VxlanDelivery { get; } = new();
    /// <summary>MACs learned behind another peer than before.</summary>
    public long MacMoves;
    /// <summary>MACs forgotten after 10 minutes idle.</summary>
    public long MacsExpired;
    public long HeartbeatsReceived;
    /// <summary>A zero-MAC frame whose body is not a heartbeat from that neighbour to us.</summary>
    public long DropsBadHeartbeat;
    /// <summary>VXLAN from a neighbour whose data must come sealed (with a password).</summary>
    public long DropsPlaintextRefused;

    // Written by the thread holding the sleeve socket.
    public long SleeveDatagramsReceived;
    public long SleeveFramesToBridge => SleeveDelivery.Written;
    internal TapWriterCounters SleeveDelivery { get; } = new();
    /// <summary>Datagrams for another peer passed on unchanged towards it.</summary>
    public long SleeveRelayed;
    /// <summary>Copies of other peers' floods passed on to our children in their broadcast trees.</summary>
    public long SleeveFloodsRelayed;
    public long SleeveRelaysSent;
    public long SleeveRelayFailures;
    /// <summary>A datagram for a peer we have no route to (or whose route leads back to the sender).</summary>
    public long SleeveDropsNoRoute;
    public long SleeveDropsBadHeader;
    public long SleeveDropsUnknownSender;
    public long SleeveDropsBridgeRefused => SleeveDelivery.Refused;
    public long SleeveMacMoves;
    public long SleeveHeartbeatsReceived;
    public long SleeveDropsBadHeartbeat;
    /// <summary>Plaintext sleeve from a neighbour that must seal, or sealed from one that does not.</summary>
    public long SleeveDropsSealMismatch;
    /// <summary>Sealed datagrams that did not open (why: the data plane's crypto counters).</summary>
    public long SleeveDropsUnopened;
    /// <summary>Relays not sent because the next hop's data keys are used up.</summary>
    public long SleeveDropsSealFailed;
    /// <summary>Frames for us merged into the super-frame before them.</summary>
    public long SleeveSegmentsCoalesced => SleeveDelivery.Coalesced;
    /// <summary>Pieces of chunked super-frames received (opened, header valid).</summary>
    public long SleeveChunksReceived;
    /// <summary>Chunked super-frames put together and written to the bridge.</summary>
    public long SleeveChunkedFramesToBridge;
    /// <summary>Chunked super-frames given up because a piece was missing or out of order (TCP resends them).</summary>
    public long SleeveChunkedFramesAbandoned;
    /// <summary>Pieces dropped: not from the neighbour that captured them, not for us, a bad chunk header, out of order, or a completed frame that is no TCP super-frame.</summary>
    public long SleeveDropsBadChunk;

    // Chunk pauses and hand-overs (Forwarder.Health.cs, Forwarder.Handoff.cs), last so that the per-thread groups above keep their places.
    /// <summary>Times a neighbour said our chunks arrive incomplete, so that it got segments for <see cref="Forwarder.ChunkPause"/>. Written by the socket threads, with Interlocked.</summary>
    public long ChunkPauses;
    /// <summary>UDP sockets handed from the TAP thread to their own threads, traffic being bulk both ways. Written by the TAP thread.</summary>
    public long SocketsHandedOver;
    /// <summary>UDP sockets handed back to the TAP thread once the socket or the bridge had no bulk batch for 20 ms. Written by the socket threads, with Interlocked.</summary>
    public long SocketsHandedBack;

    // The kernel path's probes (Forwarder.Health.cs), last for the same reason.
    /// <summary>Probes our VXLAN device refused. Written by the TAP thread.</summary>
    public long ProbeSendFailures;
    /// <summary>Probes from kernel-path neighbours. Written by the thread reading the bridge's probes, with Interlocked.</summary>
    public long ProbesReceived;
    /// <summary>Frames with the probe EtherType that are not a probe of a kernel-path neighbour's connection to us (a pod can send them). Same writer.</summary>
    public long DropsBadProbe;

    /// <summary>Every counter by name, for the report and metrics (listed by hand: no reflection under Native AOT).</summary>
    public (string Name, long Value)[] Snapshot() =>
    [
        (nameof(FramesFromBridge), FramesFromBridge),
        (nameof(DatagramsSent), DatagramsSent),
        (nameof(SleeveDatagramsSent), SleeveDatagramsSent),
        (nameof(SleeveFramesFromBridge), SleeveFramesFromBridge),
        (nameof(SegmentsFromBridge), SegmentsFromBridge),
        (nameof(SleeveChunksSent), SleeveChunksSent),
        (nameof(SendFailures), SendFailures),
        (nameof(DropsTooShort), DropsTooShort),
        (nameof(DropsLooped), DropsLooped),
        (nameof(MacsMovedHere), MacsMovedHere),
        (nameof(DropsNoPeers), DropsNoPeers),
        (nameof(DropsNoRoute), DropsNoRoute),
        (nameof(HeartbeatsSent), HeartbeatsSent),
        (nameof(DropsBadOffload), DropsBadOffload),
        (nameof(DropsTooBig), DropsTooBig),
        (nameof(TooBigReplies), TooBigReplies),
        (nameof(DropsSealFailed), DropsSealFailed),
        (nameof(ChunkPauses), Interlocked.Read(ref ChunkPauses)),
        (nameof(SocketsHandedOver), SocketsHandedOver),
        (nameof(SocketsHandedBack), Interlocked.Read(ref SocketsHandedBack)),
        (nameof(DatagramsReceived), DatagramsReceived),
        (nameof(FramesToBridge), FramesToBridge),
        (nameof(SegmentsCoalesced), SegmentsCoalesced),
        (nameof(DropsBadHeader), DropsBadHeader),
        (nameof(DropsUnknownSender), DropsUnknownSender),
        (nameof(DropsBridgeRefused), DropsBridgeRefused),
        (nameof(MacMoves), MacMoves),
        (nameof(MacsExpired), MacsExpired),
        (nameof(HeartbeatsReceived), HeartbeatsReceived),
        (nameof(DropsBadHeartbeat), DropsBadHeartbeat),
        (nameof(DropsPlaintextRefused), DropsPlaintextRefused),
        (nameof(SleeveDatagramsReceived), SleeveDatagramsReceived),
        (nameof(SleeveFramesToBridge), SleeveFramesToBridge),
        (nameof(SleeveRelayed), SleeveRelayed),
        (nameof(SleeveFloodsRelayed), SleeveFloodsRelayed),
        (nameof(SleeveRelaysSent), SleeveRelaysSent),
        (nameof(SleeveRelayFailures), SleeveRelayFailures),
        (nameof(SleeveDropsNoRoute), SleeveDropsNoRoute),
        (nameof(SleeveDropsBadHeader), SleeveDropsBadHeader),
        (nameof(SleeveDropsUnknownSender), SleeveDropsUnknownSender),
        (nameof(SleeveDropsBridgeRefused), SleeveDropsBridgeRefused),
        (nameof(SleeveMacMoves), SleeveMacMoves),
        (nameof(SleeveHeartbeatsReceived), SleeveHeartbeatsReceived),
        (nameof(SleeveDropsBadHeartbeat), SleeveDropsBadHeartbeat),
        (nameof(SleeveDropsSealMismatch), SleeveDropsSealMismatch),
        (nameof(SleeveDropsUnopened), SleeveDropsUnopened),
        (nameof(SleeveDropsSealFailed), SleeveDropsSealFailed),
        (nameof(SleeveSegmentsCoalesced), SleeveSegmentsCoalesced),
        (nameof(SleeveChunksReceived), SleeveChunksReceived),
        (nameof(SleeveChunkedFramesToBridge), SleeveChunkedFramesToBridge),
        (nameof(SleeveChunkedFramesAbandoned), SleeveChunkedFramesAbandoned),
        (nameof(SleeveDropsBadChunk), SleeveDropsBadChunk),
        (nameof(ProbeSendFailures), ProbeSendFailures),
        (nameof(ProbesReceived), Interlocked.Read(ref ProbesReceived)),
        (nameof(DropsBadProbe), Interlocked.Read(ref DropsBadProbe)),
    ];
}
