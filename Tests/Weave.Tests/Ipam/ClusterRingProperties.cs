using FsCheck.Xunit;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// The laws that keep clusters apart whatever their rings hold: rings of different ranges never
/// merge, nor do rings of one range seeded apart, and an allocator is moved by nothing another
/// cluster's peers send it, only refusing it with the reason.
/// </summary>
public sealed class ClusterRingProperties
{
    [Property(Arbitrary = [typeof(ClusterRingArbitraries)], MaxTest = 300)]
    public bool RingsOfClustersWithDisjointRanges_NeverMerge_AndTheRefusalNamesBothRanges(ClusterRings rings)
    {
        Ring ours = rings.Ours, theirs = rings.Theirs;
        return RefusedNaming(ours, theirs, ours.Range.ToString(), theirs.Range.ToString()) &&
            RefusedNaming(theirs, ours, theirs.Range.ToString(), ours.Range.ToString()) &&
            RefusedNaming(ours, Ring.Empty(theirs.Range), ours.Range.ToString(), theirs.Range.ToString()) &&
            RefusedNaming(Ring.Empty(ours.Range), theirs, ours.Range.ToString(), theirs.Range.ToString());
    }

    [Property(Arbitrary = [typeof(ClusterRingArbitraries)], MaxTest = 300)]
    public bool ClustersSeededApartOnOneRange_NeverMerge_AndTheRefusalNamesBothSeedSets(ClusterRings rings)
    {
        Ring ours = rings.Ours, theirs = rings.TheirsOnOurRange;
        string[] seeds = [.. ours.Seeds.ToArray().Concat(theirs.Seeds.ToArray()).Select(s => s.ToString())];
        return RefusedNaming(ours, theirs, ["seeded by different peers", .. seeds]) &&
            RefusedNaming(theirs, ours, ["seeded by different peers", .. seeds]);
    }

    /// <summary>
    /// Whatever another cluster's ring or consensus state, sent every way it could arrive, our
    /// allocator answers nothing, keeps its ring and allocations, and counts each as rejected.
    /// </summary>
    [Property(Arbitrary = [typeof(ClusterRingArbitraries)], MaxTest = 300)]
    public void AnAllocator_IsUnmovedByAnotherClustersMessages(ClusterRings rings)
    {
        var host = new IpamTestHost(new IpamOptions(rings.Ours.Range, IpamInit.Seed([IpamTestHost.Me])));
        int hosts = (int)Math.Max(1, rings.Ours.Range.Size - 2);
        for (int i = 0; i < 1 + (rings.Seed % Math.Min(5, hosts)); i++)
        {
            Assert.True(host.Allocator.Allocate($"pod{i}").Done().Succeeded);
        }
        host.Sent.Clear();
        Ring ring = host.Allocator.Ring;
        var held = host.Allocator.List().Select(a => (a.Id, a.Address)).ToList();
        long rejected = host.Allocator.RejectedMessages;
        PeerName foreigner = ClusterRingArbitraries.TheirPeers[0];
        byte[] ringMessage = IpamWire.Encode(new RingMessage(rings.Theirs, new Dictionary<PeerName, string> { [foreigner] = "far" }));
        byte[] grant = IpamWire.Encode(new SpaceGrantMessage(1, rings.Theirs));
        byte[] paxos = IpamWire.Encode(new PaxosMessage(rings.Theirs.Range, new Dictionary<PeerName, NodeClaims>()));

        Assert.Null(host.Allocator.OnGossip(ringMessage));
        Assert.Null(host.Allocator.OnBroadcast(foreigner, ringMessage));
        host.Allocator.OnUnicast(foreigner, ringMessage);
        host.Allocator.OnUnicast(foreigner, grant);
        Assert.Null(host.Allocator.OnGossip(paxos));
        Assert.Null(host.Allocator.OnBroadcast(foreigner, paxos));

        Assert.Same(ring, host.Allocator.Ring);
        Assert.Equal(held, host.Allocator.List().Select(a => (a.Id, a.Address)));
        Assert.Equal(rejected + 6, host.Allocator.RejectedMessages);
        Assert.Empty(host.Sent);
        Assert.Contains($"ours is {rings.Ours.Range}, theirs is {rings.Theirs.Range}", host.Allocator.Status().Conflict, StringComparison.Ordinal);
    }

    private static bool RefusedNaming(Ring ours, Ring theirs, params string[] named) =>
        !Ring.TryMerge(ours, theirs, out Ring merged, out string error) && ReferenceEquals(merged, ours) &&
        named.All(n => error.Contains(n, StringComparison.Ordinal));
}
