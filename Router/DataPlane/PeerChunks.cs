namespace Weave.Router.DataPlane;

/// <summary>
/// What the data threads keep about the chunked super-frames (<see cref="ChunkHeader"/>) exchanged
/// with one sealed neighbour, apart from the neighbour's identity in <see cref="DataPeer"/>. Each
/// field has one writer, named on it.
/// </summary>
internal sealed class PeerChunks
{
    /// <summary>The number of the next super-frame we chunk for it. TAP thread.</summary>
    public uint NextFrame;

    /// <summary>Its chunked frame in progress (<see cref="ChunkAssembler"/>). The sleeve socket's
    /// holder; the TAP thread reads its counters for heartbeats.</summary>
    public PartialFrame? Partial;

    /// <summary>Until when (a timestamp) we send it segments, not chunks: it said our chunks arrive
    /// incomplete (<see cref="HeartbeatBody.LosingChunks"/>). Written by a socket holder, read by the TAP thread.</summary>
    public long PausedUntil;

    /// <summary>The counters of <see cref="Partial"/> at our last heartbeat to it. TAP thread.</summary>
    public long CompletedSeen;

    /// <inheritdoc cref="CompletedSeen"/>
    public long AbandonedSeen;
}
