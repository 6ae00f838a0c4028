namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// Deliberate mistakes the simulated router can make, for tests that show the checks catch them.
/// Never set in the schedules that prove the allocator safe.
/// </summary>
[Flags]
internal enum SimFaults
{
    None = 0,

    /// <summary>The mesh hands every cluster's IPAM messages to every allocator, as if all clusters shared one channel.</summary>
    GossipLeak = 1,

    /// <summary>Each allocator's peer view lists the peers of every cluster, not only its own.</summary>
    PeerViewLeak = 2,

    /// <summary>Routers pass on only their own cluster's IPAM messages, so a cluster whose peers are linked only through other clusters' routers is cut in pieces.</summary>
    NoForeignRelay = 4,
}
