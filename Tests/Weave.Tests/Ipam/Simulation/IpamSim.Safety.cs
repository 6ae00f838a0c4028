using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Ipam.Store;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>The state every step must keep.</summary>
internal sealed partial class IpamSim
{
    /// <summary>The ring and allocations of a replica: from its allocator, or from its store when crashed.</summary>
    public static (Ring Ring, IReadOnlyList<IpamAllocation> Allocations)? StateOf(SimReplica r)
    {
        if (r.Allocator is Allocator a)
        {
            return (a.Ring, a.List());
        }
        IpamState? state = r.Store.Load();
        return state is null ? null : (state.Ring, state.Allocations);
    }

    /// <summary>
    /// Across live and crashed-but-saved state: invariants hold; every ring is of its cluster's
    /// range and names only its cluster's peers as seeds and owners; every allocation lies in its
    /// cluster's range, in space its holder owns, and no address is held twice; no two peers think
    /// they own the same space; no allocator ever refused a ring or rejected a message, and none
    /// addressed a peer of another cluster.
    /// </summary>
    public void CheckSafety()
    {
        var holders = new Dictionary<uint, (SimReplica Replica, string Id)>();
        var owned = new List<(uint Start, ulong End, SimReplica Replica)>();
        foreach (SimReplica r in Replicas.Where(r => !r.Gone))
        {
            if (StateOf(r) is not var (ring, allocations))
            {
                continue;
            }
            try
            {
                r.Allocator?.CheckInvariants();
                ring.CheckInvariants();
            }
            catch (InvalidOperationException e)
            {
                throw Fail($"{r}: {e.Message}");
            }
            CheckRingBelongs(r, ring);
            foreach ((uint s, ulong e, _) in ring.OwnedBy(r.Name))
            {
                owned.Add((s, e, r));
            }
            foreach (IpamAllocation a in allocations)
            {
                uint address = Ip4.ToUInt(a.Address);
                if (!r.Cluster.Range.Contains(address))
                {
                    throw Fail($"ADDRESS OUTSIDE ITS CLUSTER'S RANGE: {r} of {r.Cluster} holds {a}");
                }
                if (ring.OwnerOf(address) != r.Name)
                {
                    throw Fail($"{r} holds {a} in space it does not own");
                }
                if (holders.TryGetValue(address, out var other))
                {
                    throw Fail($"DUPLICATE ADDRESS {a.Address}: {other.Replica}/{other.Id} and {r}/{a.Id}");
                }
                holders[address] = (r, a.Id);
            }
        }
        owned.Sort((x, y) => x.Start.CompareTo(y.Start));
        ulong maxEnd = 0;
        SimReplica? maxOwner = null;
        foreach ((uint s, ulong e, SimReplica r) in owned)
        {
            if (maxOwner is not null && s < maxEnd && maxOwner != r)
            {
                throw Fail($"OVERLAPPING OWNERSHIP at {Ip4.Format(s)}: {maxOwner} and {r} both think they own it");
            }
            if (e > maxEnd)
            {
                maxEnd = e;
                maxOwner = r;
            }
        }
        if (RefusedRings > 0)
        {
            throw Fail($"an allocator refused a ring update (a conflict arose): {_firstRefusal}");
        }
        if (RejectedMessages > 0)
        {
            throw Fail($"an allocator rejected a message: {_firstRefusal}");
        }
        if (_crossClusterSend is not null)
        {
            throw Fail($"CROSS-CLUSTER MESSAGE: {_crossClusterSend}");
        }
    }

    private void CheckRingBelongs(SimReplica r, Ring ring)
    {
        SimCluster cluster = r.Cluster;
        if (ring.Range != cluster.Range)
        {
            throw Fail($"{r} of {cluster} holds a ring of {ring.Range}");
        }
        foreach (PeerName seed in ring.Seeds)
        {
            if (!cluster.Has(seed))
            {
                throw Fail($"FOREIGN PEER IN A RING: {r}'s ring of {cluster} names {Describe(seed)} as a seed");
            }
        }
        foreach (RingEntry entry in ring.Entries)
        {
            if (!cluster.Has(entry.Owner))
            {
                throw Fail($"FOREIGN PEER IN A RING: {r}'s ring of {cluster} gives {Ip4.Format(entry.Token)} to {Describe(entry.Owner)}");
            }
        }
    }

    private string Describe(PeerName name) => ByName(name) is SimReplica r ? $"{r} of {r.Cluster}" : $"{name}, a peer of no cluster";

    /// <summary>
    /// Each replica's allocations, live or saved, are exactly what its own operations account for
    /// (<see cref="SimReplica.Held"/>): nothing another peer does, in its cluster or another,
    /// gives it an allocation or takes one away.
    /// </summary>
    public void CheckAllocationsFollowOperations()
    {
        foreach (SimReplica r in Replicas.Where(r => !r.Gone))
        {
            HashSet<(string Id, uint Address)> actual = StateOf(r) is var (_, allocations)
                ? [.. allocations.Select(a => (a.Id, Ip4.ToUInt(a.Address)))]
                : [];
            if (!actual.SetEquals(r.Held))
            {
                string added = string.Join(", ", actual.Except(r.Held).Select(Show));
                string lost = string.Join(", ", r.Held.Except(actual).Select(Show));
                throw Fail($"ALLOCATIONS CHANGED BEHIND {r}'s BACK: held without a request [{added}], gone without a release [{lost}]");
            }
        }

        static string Show((string Id, uint Address) a) => $"{a.Id} {Ip4.Format(a.Address)}";
    }
}
