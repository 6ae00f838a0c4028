using System.Net;

namespace Weave.Kube;

/// <summary>
/// What the router needs to know from the API before it starts: the other nodes' addresses (its
/// first targets), how many nodes there are (the consensus size at a first start), and whether its
/// IP allocation state is still its own.
/// </summary>
public sealed record KubeStart(IReadOnlyList<IPAddress> Targets, int NodeCount, bool Listed, int ListedPeers)
{
    /// <summary>
    /// Others are in the peer list and we are not: if we have IP allocation state, another router
    /// reclaimed our space while we were down, and that state must go.
    /// </summary>
    public bool ReclaimedWhileDown => !Listed && ListedPeers > 0;
}
