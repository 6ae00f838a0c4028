using Weave.Gossip;
using Weave.Ipam;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// One cluster of a schedule, as issue 21 has them: its own range, its own seeding (a seed list of
/// its first members, the rest joining later, or consensus among all of them) and the replicas
/// that belong to it, by index. Clusters share the mesh, and relay each other's messages, but never
/// a ring.
/// </summary>
internal sealed record SimClusterSpec(string Name, Cidr Range, bool Consensus, int Joiners, IReadOnlyList<int> Members)
{
    /// <summary>How the cluster's peers seed its range, given their names in member order.</summary>
    public IpamInit Init(IReadOnlyList<PeerName> memberNames) =>
        Consensus ? IpamInit.Consensus(Members.Count) : IpamInit.Seed(memberNames.Take(Math.Max(1, Members.Count - Joiners)));

    public override string ToString() =>
        $"{Name} {Range} {(Consensus ? $"consensus={Members.Count}" : $"seed={Math.Max(1, Members.Count - Joiners)}")} " +
        $"[{string.Join(" ", Members.Select(i => $"r{i}"))}]";
}
