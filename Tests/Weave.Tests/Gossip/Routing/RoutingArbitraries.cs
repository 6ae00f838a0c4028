using FsCheck;
using FsCheck.Fluent;
using Weave.Gossip;
using Weave.Gossip.Topology;

namespace Weave.Tests.Gossip.Routing;

/// <summary>
/// A generated mesh: peers 0..Count-1 with shuffled names (so name order differs from index order)
/// and directed links, each listed in its owner's record as established or not.
/// </summary>
public sealed class Mesh(PeerName[] names, (int From, int To, bool Established)[] links)
{
    public PeerName[] Names { get; } = names;
    public (int From, int To, bool Established)[] Links { get; } = links;
    public int Count => Names.Length;

    public PeerTopology Topology(Random? shuffle = null)
    {
        var records = new List<PeerRecord>();
        for (int i = 0; i < Count; i++)
        {
            List<ConnectionSummary> connections = [.. Links
                .Where(l => l.From == i)
                .DistinctBy(l => l.To)
                .Select(l => new ConnectionSummary(Names[l.To], "10.0.0.1:6783", Outbound: true, l.Established))];
            if (shuffle is not null)
            {
                connections = [.. connections.OrderBy(_ => shuffle.Next())];
            }
            records.Add(new PeerRecord(Names[i], $"host{i}", 1, 1, connections));
        }
        if (shuffle is not null)
        {
            records = [.. records.OrderBy(_ => shuffle.Next())];
        }
        var topology = new PeerTopology();
        topology.Merge(records);
        return topology;
    }

    public Mesh WithLinks((int From, int To, bool Established)[] links) => new(Names, links);

    public override string ToString() =>
        $"{Count} peers [{string.Join(" ", Names.Select((n, i) => $"{i}={n.Value & 0xFF}"))}] links " +
        string.Join(" ", Links.Select(l => $"{l.From}{(l.Established ? "->" : "~>")}{l.To}"));
}

/// <summary>A mesh whose links are all established both ways and that is connected.</summary>
public sealed class ConnectedMesh(Mesh mesh)
{
    public Mesh Mesh { get; } = mesh;

    public override string ToString() => Mesh.ToString();
}

public static class RoutingArbitraries
{
    private static Gen<PeerName[]> Names(int count) =>
        Gen.Shuffle(Enumerable.Range(1, count)).Select(perm => perm.Select(p => new PeerName(0x0200_0000_0000UL + (ulong)p)).ToArray());

    private static Gen<(int, int)> Pair(int count) =>
        from a in Gen.Choose(0, count - 1)
        from b in Gen.Choose(0, count - 1)
        select (a, b);

    public static Arbitrary<ConnectedMesh> ConnectedMeshes() =>
        (from count in Gen.Choose(2, 24)
         from parents in Gen.CollectToArray(Enumerable.Range(1, count - 1), i => Gen.Choose(0, i - 1))
         from extra in Gen.ListOf(Pair(count))
         from names in Names(count)
         let edges = parents.Select((p, i) => (p, i + 1)).Concat(extra.Where(e => e.Item1 != e.Item2))
         select new ConnectedMesh(new Mesh(names, [.. edges.SelectMany(e => new[] { (e.Item1, e.Item2, true), (e.Item2, e.Item1, true) })])))
        .ToArbitrary();

    /// <summary>Any mesh: one-way links, unestablished links, islands.</summary>
    public static Arbitrary<Mesh> Meshes() =>
        (from count in Gen.Choose(1, 20)
         from density in Gen.Choose(1, 5)
         from cells in Gen.ArrayOf(Gen.Choose(0, 19), count * count)
         from names in Names(count)
         select new Mesh(names, [.. Enumerable.Range(0, count * count)
             .Where(c => c / count != c % count && cells[c] < density * 2)
             .Select(c => (c / count, c % count, cells[c] % 4 != 0))]))
        .ToArbitrary();
}
