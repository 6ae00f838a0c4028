namespace Weave.Router.DataPlane;

/// <summary>What a sleeve datagram carries (byte 1 of <see cref="SleeveHeader"/>).</summary>
public enum SleeveKind : byte
{
    /// <summary>A frame for one peer (the header's destination); relays pass it on unchanged.</summary>
    Unicast = 1,

    /// <summary>A broadcast, multicast or unknown-unicast frame: the destination delivers it and
    /// relays a copy to each of its children in the source's broadcast tree.</summary>
    Flood = 2,

    /// <summary>A UDP path-health heartbeat between neighbours (<see cref="HeartbeatBody"/>); never relayed.</summary>
    Heartbeat = 3,

    /// <summary>A piece of a TCP super-frame for the destination, a sealed neighbour that takes chunks
    /// (<see cref="ChunkHeader"/>); never relayed.</summary>
    Chunk = 4,
}
