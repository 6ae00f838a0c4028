using FsCheck.Xunit;
using Weave.Gossip;
using Weave.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Gossip.Topology;

public sealed class PeerTopologyTests
{
    private static PeerRecord Rec(int n, ulong uid, ulong version, params int[] remotes) =>
        new(Name(n), $"host{n}", uid, version, remotes.Select(r => new ConnectionSummary(Name(r), $"10.0.0.{r}:6783", true, true)).ToArray());

    private static PeerTopology From(IEnumerable<PeerRecord> records)
    {
        var topology = new PeerTopology();
        topology.Merge(records);
        return topology;
    }

    private static PeerRecord[] Snapshot(PeerTopology topology) => [.. topology.Records.OrderBy(r => r.Name)];

    private static bool SameState(PeerTopology a, PeerTopology b) => Snapshot(a).SequenceEqual(Snapshot(b));

    // ---- laws ----

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool Merge_IsCommutative(RecordSet a, RecordSet b)
    {
        PeerTopology ab = From(a.Records), ba = From(b.Records);
        ab.Merge(b.Records);
        ba.Merge(a.Records);
        return SameState(ab, ba);
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool Merge_IsAssociative(RecordSet a, RecordSet b, RecordSet c)
    {
        PeerTopology left = From(a.Records);
        left.Merge(b.Records);
        left.Merge(c.Records);
        PeerTopology bc = From(b.Records);
        bc.Merge(c.Records);
        PeerTopology right = From(a.Records);
        right.Merge(bc.Records.ToArray());
        return SameState(left, right);
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool Merge_IsIdempotent(RecordSet a)
    {
        PeerTopology topology = From(a.Records);
        PeerRecord[] once = Snapshot(topology);
        IReadOnlyList<PeerRecord> again = topology.Merge(a.Records);
        IReadOnlyList<PeerRecord> own = topology.Merge(topology.Clone().Records);
        return again.Count == 0 && own.Count == 0 && once.SequenceEqual(Snapshot(topology));
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool Merge_ReturnsExactlyTheImprovements(RecordSet before, RecordSet incoming)
    {
        PeerTopology topology = From(before.Records);
        // Naive model: apply one by one, note each name at its first improvement.
        var model = topology.Records.ToDictionary(r => r.Name);
        var order = new List<PeerName>();
        foreach (PeerRecord record in incoming.Records)
        {
            if (!model.TryGetValue(record.Name, out PeerRecord? ours) || PeerTopology.Compare(record, ours) > 0)
            {
                model[record.Name] = record;
                if (!order.Contains(record.Name))
                {
                    order.Add(record.Name);
                }
            }
        }
        IReadOnlyList<PeerRecord> delta = topology.Merge(incoming.Records);
        return delta.SequenceEqual(order.Select(n => model[n])) &&
            Snapshot(topology).SequenceEqual(model.Values.OrderBy(r => r.Name));
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool Compare_IsATotalOrderConsistentWithEquality(RecordSet a)
    {
        foreach (PeerRecord x in a.Records)
        {
            foreach (PeerRecord y in a.Records.Where(r => r.Name == x.Name))
            {
                int xy = PeerTopology.Compare(x, y), yx = PeerTopology.Compare(y, x);
                if (Math.Sign(xy) != -Math.Sign(yx) || (xy == 0) != x.Equals(y))
                {
                    return false;
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool CompareDigest_ThenExchange_Converges(OwnedRecordSet a, OwnedRecordSet b)
    {
        PeerTopology left = From(a.Records), right = From(b.Records);
        var (theyLack, weLack) = left.CompareDigest(right.Digest());
        var (rightTheyLack, rightWeLack) = right.CompareDigest(left.Digest());
        bool mirrored = theyLack.Select(r => r.Name).SequenceEqual(rightWeLack.Order()) &&
            rightTheyLack.Select(r => r.Name).SequenceEqual(weLack.Order());

        IReadOnlyList<PeerRecord> asked = [.. weLack.Select(n => right.TryGet(n, out PeerRecord? r) ? r : throw new InvalidOperationException($"{n} not held"))];
        right.Merge(theyLack);
        left.Merge(asked);
        return mirrored && SameState(left, right) && left.CompareDigest(right.Digest()) is { TheyLack.Count: 0, WeLack.Count: 0 };
    }

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool RemoveUnreachable_KeepsExactlyTheReachable(RecordSet a, byte selfChoice)
    {
        PeerTopology topology = From(a.Records);
        PeerName self = Name(1 + (selfChoice % NameCount));
        PeerRecord[] before = Snapshot(topology);
        // Naive reference: grow the reached set to a fixed point.
        var reached = new HashSet<PeerName> { self };
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (PeerRecord record in before.Where(r => reached.Contains(r.Name)))
            {
                foreach (ConnectionSummary connection in record.Connections)
                {
                    grew |= reached.Add(connection.Remote);
                }
            }
        }
        IReadOnlyList<PeerRecord> removed = topology.RemoveUnreachable(self);
        return removed.SequenceEqual(before.Where(r => !reached.Contains(r.Name))) &&
            Snapshot(topology).SequenceEqual(before.Where(r => reached.Contains(r.Name)));
    }

    // ---- examples ----

    [Fact]
    public void Compare_HigherVersion_WinsOverHigherUid()
    {
        Assert.True(PeerTopology.Compare(Rec(1, uid: 1, version: 3), Rec(1, uid: 9, version: 2)) > 0);
        Assert.True(PeerTopology.Compare(Rec(1, uid: 9, version: 2), Rec(1, uid: 1, version: 2)) > 0);
        Assert.Equal(0, PeerTopology.Compare(Rec(1, 5, 5, 2, 3), Rec(1, 5, 5, 2, 3)));
    }

    [Fact]
    public void Compare_SameVersionAndUid_BreaksTieOnContentBothWays()
    {
        PeerRecord a = Rec(1, 5, 5, 2), b = Rec(1, 5, 5, 3);
        Assert.True(PeerTopology.Compare(a, b) < 0);
        Assert.True(PeerTopology.Compare(b, a) > 0);
    }

    [Fact]
    public void Compare_RecordsDifferingOnlyInCluster_AreOrdered_SoMergeOrderDoesNotMatter()
    {
        foreach (ClusterIdentity? x in Clusters)
        {
            foreach (ClusterIdentity? y in Clusters.Where(c => c != x))
            {
                PeerRecord a = new(Name(1), "host1", 5, 5, [], x), b = new(Name(1), "host1", 5, 5, [], y);
                int ab = PeerTopology.Compare(a, b);
                Assert.NotEqual(0, ab);
                Assert.Equal(-Math.Sign(ab), Math.Sign(PeerTopology.Compare(b, a)));
                Assert.True(SameState(From([a, b]), From([b, a])), $"{x} and {y}: merge order decided the outcome");
            }
        }
    }

    [Fact]
    public void Merge_NewAndNewerRecords_AreTheDelta()
    {
        var topology = From([Rec(1, 1, 1), Rec(2, 1, 5)]);
        IReadOnlyList<PeerRecord> delta = topology.Merge([Rec(2, 1, 4), Rec(3, 1, 1), Rec(1, 1, 2), Rec(3, 1, 2)]);
        Assert.Equal([Rec(3, 1, 2), Rec(1, 1, 2)], delta);
        Assert.Equal(3, topology.Count);
        Assert.True(topology.TryGet(Name(2), out PeerRecord? kept));
        Assert.Equal(5UL, kept.Version);
    }

    [Fact]
    public void Merge_RestartedPeerWithLowerVersion_DoesNotReplaceOldIncarnation()
    {
        var topology = From([Rec(1, uid: 7, version: 9)]);
        Assert.Empty(topology.Merge([Rec(1, uid: 8, version: 1)]));
        Assert.NotEmpty(topology.Merge([Rec(1, uid: 8, version: 9)]));
    }

    [Fact]
    public void SetLocal_OlderRecord_StillReplaces()
    {
        var topology = From([Rec(1, 1, 9)]);
        topology.SetLocal(Rec(1, 2, 1));
        Assert.True(topology.TryGet(Name(1), out PeerRecord? own));
        Assert.Equal(2UL, own.Uid);
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var topology = From([Rec(1, 1, 1)]);
        PeerTopology clone = topology.Clone();
        clone.Merge([Rec(2, 1, 1)]);
        Assert.Equal(1, topology.Count);
        Assert.Equal(2, clone.Count);
    }

    [Fact]
    public void Digest_IsSortedByName()
    {
        var topology = From([Rec(3, 1, 2), Rec(1, 4, 5), Rec(2, 6, 7)]);
        Assert.Equal([new DigestEntry(Name(1), 4, 5), new DigestEntry(Name(2), 6, 7), new DigestEntry(Name(3), 1, 2)], topology.Digest());
    }

    [Fact]
    public void CompareDigest_DuplicateEntries_UseTheNewestOnce()
    {
        var topology = From([Rec(1, 1, 5)]);
        var (theyLack, weLack) = topology.CompareDigest([new DigestEntry(Name(1), 1, 4), new DigestEntry(Name(1), 1, 6), new DigestEntry(Name(1), 1, 3)]);
        Assert.Empty(theyLack);
        Assert.Equal([Name(1)], weLack);
    }

    [Fact]
    public void CompareDigest_EqualVersionDifferentUid_HigherUidWins()
    {
        var topology = From([Rec(1, 2, 5), Rec(2, 2, 5)]);
        var (theyLack, weLack) = topology.CompareDigest([new DigestEntry(Name(1), 1, 5), new DigestEntry(Name(2), 3, 5)]);
        Assert.Equal([Name(1)], theyLack.Select(r => r.Name));
        Assert.Equal([Name(2)], weLack);
    }

    [Fact]
    public void RemoveUnreachable_UnestablishedAndOneWayLinks_Count()
    {
        // 1 → 2 (one-way, unestablished), 2 → 3; 4 ↔ 5 isolated from 1.
        var topology = From([
            new PeerRecord(Name(1), "a", 1, 1, [new ConnectionSummary(Name(2), "x", true, false)]),
            Rec(2, 1, 1, 3), Rec(3, 1, 1), Rec(4, 1, 1, 5), Rec(5, 1, 1, 4)]);
        Assert.Equal([Name(4), Name(5)], topology.RemoveUnreachable(Name(1)).Select(r => r.Name));
        Assert.Equal(3, topology.Count);
    }

    [Fact]
    public void RemoveUnreachable_SelfWithoutRecord_KeepsNothingElse()
    {
        var topology = From([Rec(2, 1, 1, 1)]);
        Assert.Single(topology.RemoveUnreachable(Name(1)));
        Assert.Equal(0, topology.Count);
    }
}
