namespace Weave.Router.DataPlane;

/// <summary>
/// Data-plane counters. Each field has a single writer (the TAP thread or the UDP thread, as
/// noted), so increments need no atomics; readers may see a slightly stale value.
/// </summary>
public sealed class ForwarderCounters
{
    // Written by the TAP thread.
    public long FramesFromBridge;
    /// <summary>Sends handed to the transport: a datagram, or a GSO send of up to 64.</summary>
    public long DatagramsSent;
    /// <summary>MTU-sized frames cut from super-frames.</summary>
    public long SegmentsFromBridge;
    public long SendFailures;
    public long DropsTooShort;
    public long DropsLooped;
    public long DropsNoPeers;
    /// <summary>A super-frame that is not TCP as announced, or a partial checksum out of the frame.</summary>
    public long DropsBadOffload;
    /// <summary>Frames above the overlay MTU that may not be fragmented (IPv4 with DF, IPv6), or
    /// TCP super-frames without DF whose segments exceed it.</summary>
    public long DropsTooBig;
    /// <summary>ICMP "fragmentation needed" / ICMPv6 "packet too big" answers written to the TAP.</summary>
    public long TooBigReplies;

    // Written by the UDP thread.
    /// <summary>Datagrams, counting each of a GRO run.</summary>
    public long DatagramsReceived;
    /// <summary>TAP writes accepted: a frame, or a super-frame of coalesced segments.</summary>
    public long FramesToBridge;
    /// <summary>Frames merged into the super-frame before them.</summary>
    public long SegmentsCoalesced;
    public long DropsBadHeader;
    public long DropsUnknownSender;
    public long DropsBridgeRefused;
}
