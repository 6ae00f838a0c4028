namespace Weave.Gossip.Protocol;

/// <summary>
/// The control-connection wire format on TCP 6783.
/// <code>
///   header (both sides send at once, before anything else):
///     "weave" (5 ASCII bytes) | min version (1 byte) | max version (1 byte)
///   then frames:
///     length (4 bytes, big-endian; counts tag + body) | tag (1 byte) | body
///   the first frame each way is the intro (tag 1): a MessagePack map string → string of features.
/// </code>
/// Weave Net 2.x sends the same header with versions 1..2 and then Go gob; our versions start at 3
/// so a real Weave peer is refused cleanly ("no common protocol version") instead of misread.
/// </summary>
public static class WireFormat
{
    public static ReadOnlySpan<byte> Magic => "weave"u8;

    public const int HeaderSizeBytes = 7;
    public const byte ProtocolMinVersion = 3;
    public const byte ProtocolMaxVersion = 3;

    public const int FrameLengthSizeBytes = 4;
    public const int TagSizeBytes = 1;

    /// <summary>Largest frame (tag + body) we accept; a peer announcing more is cut off.</summary>
    public const int MaxFrameBytes = 1 << 20;

    /// <summary>Largest intro we accept: a handful of short features.</summary>
    public const int MaxIntroBytes = 16 << 10;
    public const int MaxIntroFeatures = 64;
    public const int MaxFeatureLength = 1024;

    /// <summary>The header and intro must both arrive within this time.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often each side sends a heartbeat on an idle connection.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    /// <summary>A connection that delivers nothing (not even a heartbeat) for this long is dead.</summary>
    public static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(35);
}

/// <summary>The first byte of every frame after the header.</summary>
public enum FrameTag : byte
{
    Heartbeat = 0,
    Intro = 1,

    /// <summary>Peer records (a delta, or a reply to a digest or request).</summary>
    TopologyUpdate = 2,

    /// <summary>(name, UID, version) of every record we hold: cheap anti-entropy.</summary>
    TopologyDigest = 3,

    /// <summary>Names whose records we want.</summary>
    TopologyRequest = 4,

    /// <summary>A channel message for one peer, relayed along unicast routes.</summary>
    GossipUnicast = 5,

    /// <summary>A channel message for every peer, relayed along the source's broadcast tree.</summary>
    GossipBroadcast = 6,

    /// <summary>A channel's state for a neighbour (periodic and on connect).</summary>
    Gossip = 7,
}
