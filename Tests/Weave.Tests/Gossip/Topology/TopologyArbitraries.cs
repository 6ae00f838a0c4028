using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Weave.Gossip;
using Weave.Gossip.Topology;

namespace Weave.Tests.Gossip.Topology;

/// <summary>Records as received from peers, possibly several versions and UIDs of one name.</summary>
public sealed class RecordSet(PeerRecord[] records)
{
    public PeerRecord[] Records { get; } = records;

    public override string ToString() => $"[{Records.Length}] " + string.Join(" | ", Records.Select(r => r.ToString()));
}

/// <summary>
/// Records whose content follows from (name, UID, version), as when only owners write records:
/// what digests assume (equal version and UID means equal record).
/// </summary>
public sealed class OwnedRecordSet(PeerRecord[] records)
{
    public PeerRecord[] Records { get; } = records;

    public override string ToString() => $"[{Records.Length}] " + string.Join(" | ", Records.Select(r => r.ToString()));
}

/// <summary>FsCheck generators of valid topology records over a small name space, so names collide often.</summary>
public static class TopologyArbitraries
{
    public const int NameCount = 8;

    public static PeerName Name(int i) => new(0x0200_0000_0000UL + (ulong)i);

    /// <summary>
    /// No cluster (an older peer), and clusters that differ only in their name or only in their
    /// range, so records alike in all else meet often.
    /// </summary>
    public static ClusterIdentity?[] Clusters { get; } =
    [
        null,
        Cluster("a", "10.32.0.0/12"),
        Cluster("a", null),
        Cluster("a", "10.32.0.0/16"),
        Cluster("b", "10.32.0.0/16"),
        Cluster("b", "fd00:32::/64"),
    ];

    public static ClusterIdentity Cluster(string name, string? range) =>
        ClusterIdentity.TryCreate(name, range is null ? null : IPNetwork.Parse(range), out ClusterIdentity? cluster, out string error)
            ? cluster
            : throw new ArgumentException(error, nameof(name));

    private static ConnectionSummary Connection(int remote, int flags) =>
        new(Name(remote), $"10.0.0.{remote}:6783", (flags & 1) != 0, (flags & 2) != 0);

    /// <summary>Any valid record: content varies freely, so the same (name, UID, version) may differ.</summary>
    public static Gen<PeerRecord> Record() =>
        from n in Gen.Choose(1, NameCount)
        from uid in Gen.Choose(1, 3)
        from version in Gen.Choose(1, 4)
        from nick in Gen.Elements("a", "b")
        from remotes in Gen.SubListOf(Enumerable.Range(1, NameCount).Where(r => r != n).ToArray())
        from flags in Gen.ArrayOf(Gen.Choose(0, 3), remotes.Count)
        from cluster in Gen.Elements(Clusters)
        select new PeerRecord(Name(n), nick, (ulong)uid, (ulong)version,
            remotes.Select((r, i) => Connection(r, flags[i])).ToArray(), cluster);

    /// <summary>The one record its owner wrote for (name, UID, version): content derived from those.</summary>
    public static PeerRecord Owned(int n, int uid, int version)
    {
        var random = new Random((n * 1000) + (uid * 10) + version);
        ConnectionSummary[] connections = Enumerable.Range(1, NameCount)
            .Where(r => r != n && random.Next(3) == 0)
            .Select(r => Connection(r, random.Next(4)))
            .ToArray();
        return new PeerRecord(Name(n), $"host{n}", (ulong)uid, (ulong)version, connections, Clusters[n % Clusters.Length]);
    }

    public static Gen<PeerRecord> OwnedRecord() =>
        from n in Gen.Choose(1, NameCount)
        from uid in Gen.Choose(1, 3)
        from version in Gen.Choose(1, 4)
        select Owned(n, uid, version);

    public static Arbitrary<RecordSet> RecordSets() =>
        Gen.ListOf(Record()).Select(list => new RecordSet([.. list])).ToArbitrary();

    public static Arbitrary<OwnedRecordSet> OwnedRecordSets() =>
        Gen.ListOf(OwnedRecord()).Select(list => new OwnedRecordSet([.. list])).ToArbitrary();
}
