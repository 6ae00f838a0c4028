namespace Weave.Bench.MeshScale;

/// <summary>What one N measured (times are simulated; per-minute figures are per peer).</summary>
internal sealed record ScaleResult(
    int Peers,
    int Clusters,
    string Shape,
    TimeSpan FormTime,
    bool FullyConnected,
    TimeSpan JoinTime,
    TimeSpan LeaveTime,
    double MessagesPerPeerMinute,
    double BytesPerPeerMinute,
    long FullTopologyBytes,
    double WeaveMessagesPerPeerMinute,
    double WeaveBytesPerPeerMinute,
    TimeSpan RealTime,
    string Notes);
