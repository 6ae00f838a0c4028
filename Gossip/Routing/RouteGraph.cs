using System.Runtime.CompilerServices;
using Weave.Gossip.Topology;

namespace Weave.Gossip.Routing;

/// <summary>
/// A topology reduced to what routing needs: peers as dense indices and each peer's out-links under
/// one link rule. Indices put the peers with a record first, in name order, then the placeholders
/// (names only seen in someone's connection list) in name order; placeholders have no out-links, so
/// sorting a BFS level by index visits every peer that can extend the BFS in name order.
/// Building is O(peers + connections) with no sorting of link lists (BFS results do not depend on
/// the order of a peer's links, only on the order of each level).
/// </summary>
internal sealed class RouteGraph
{
    private readonly Dictionary<PeerName, int> _index;

    private RouteGraph(bool establishedAndSymmetric, PeerName[] names, Dictionary<PeerName, int> index, int[][] links)
    {
        EstablishedAndSymmetric = establishedAndSymmetric;
        Names = names;
        _index = index;
        Links = links;
    }

    public bool EstablishedAndSymmetric { get; }

    /// <summary>Index → name.</summary>
    public PeerName[] Names { get; }

    /// <summary>Index → out-neighbours' indices, without duplicates or self-links, in record order.</summary>
    public int[][] Links { get; }

    public int IndexOf(PeerName name) => _index.TryGetValue(name, out int i) ? i : -1;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // large meshes: full optimisation from the first recalculation
    public static RouteGraph Build(PeerTopology topology, bool establishedAndSymmetric)
    {
        var records = new PeerRecord[topology.Count];
        int r = 0;
        foreach (PeerRecord record in topology.Records)
        {
            records[r++] = record;
        }
        Array.Sort(records, static (a, b) => a.Name.CompareTo(b.Name));

        var index = new Dictionary<PeerName, int>(records.Length);
        var names = new List<PeerName>(records.Length);
        for (int i = 0; i < records.Length; i++)
        {
            index.Add(records[i].Name, i);
            names.Add(records[i].Name);
        }
        if (!establishedAndSymmetric)
        {
            AddPlaceholders(records, index, names);
        }

        var links = new int[names.Count][];
        var stamp = new int[names.Count];   // stamp[j] == i + 1: j already linked from i
        var scratch = new int[16];
        for (int i = 0; i < records.Length; i++)
        {
            IReadOnlyList<ConnectionSummary> connections = records[i].Connections;
            if (scratch.Length < connections.Count)
            {
                scratch = new int[connections.Count];
            }
            int count = 0;
            for (int k = 0; k < connections.Count; k++)
            {
                ConnectionSummary connection = connections[k];
                if ((establishedAndSymmetric && !connection.Established) ||
                    !index.TryGetValue(connection.Remote, out int j) || j == i || stamp[j] == i + 1)
                {
                    continue;
                }
                stamp[j] = i + 1;
                scratch[count++] = j;
            }
            links[i] = scratch.AsSpan(0, count).ToArray();
        }
        for (int i = records.Length; i < links.Length; i++)
        {
            links[i] = [];
        }
        if (establishedAndSymmetric)
        {
            KeepSymmetric(links);
        }
        return new RouteGraph(establishedAndSymmetric, [.. names], index, links);
    }

    /// <summary>A link needs no record at its far end (Weave's UID-0 peers): index those names too.</summary>
    private static void AddPlaceholders(PeerRecord[] records, Dictionary<PeerName, int> index, List<PeerName> names)
    {
        var placeholders = new List<PeerName>();
        foreach (PeerRecord record in records)
        {
            IReadOnlyList<ConnectionSummary> connections = record.Connections;
            for (int k = 0; k < connections.Count; k++)
            {
                if (index.TryAdd(connections[k].Remote, -1))
                {
                    placeholders.Add(connections[k].Remote);
                }
            }
        }
        placeholders.Sort();
        foreach (PeerName placeholder in placeholders)
        {
            index[placeholder] = names.Count;
            names.Add(placeholder);
        }
    }

    /// <summary>Keeps A→B only when B→A is there too (both ends list each other as established).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // large meshes: full optimisation from the first recalculation
    private static void KeepSymmetric(int[][] links)
    {
        int[][] reverse = Reverse(links);
        var stamp = new int[links.Length];
        for (int i = 0; i < links.Length; i++)
        {
            foreach (int k in reverse[i])
            {
                stamp[k] = i + 1; // k → i exists
            }
            int[] outgoing = links[i];
            int kept = 0;
            foreach (int j in outgoing)
            {
                if (stamp[j] == i + 1)
                {
                    kept++;
                }
            }
            if (kept == outgoing.Length)
            {
                continue;
            }
            var symmetric = new int[kept];
            kept = 0;
            foreach (int j in outgoing)
            {
                if (stamp[j] == i + 1)
                {
                    symmetric[kept++] = j;
                }
            }
            links[i] = symmetric;
        }
    }

    /// <summary>In-links per peer, by counting (no sorting).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // large meshes: full optimisation from the first recalculation
    private static int[][] Reverse(int[][] links)
    {
        var degree = new int[links.Length];
        foreach (int[] outgoing in links)
        {
            foreach (int j in outgoing)
            {
                degree[j]++;
            }
        }
        var reverse = new int[links.Length][];
        for (int j = 0; j < links.Length; j++)
        {
            reverse[j] = degree[j] == 0 ? [] : new int[degree[j]];
            degree[j] = 0;
        }
        for (int i = 0; i < links.Length; i++)
        {
            foreach (int j in links[i])
            {
                reverse[j][degree[j]++] = i;
            }
        }
        return reverse;
    }

    /// <summary>
    /// True when the part of the graph that routes from <paramref name="self"/> can see (its component,
    /// links taken in either direction) is the same in both: same peers, same links. Unicast routes
    /// and every broadcast tree that reaches self depend on nothing else.
    /// </summary>
    public bool SameAs(int self, RouteGraph other, int otherSelf)
    {
        if (EstablishedAndSymmetric != other.EstablishedAndSymmetric)
        {
            return false;
        }
        if (self < 0 || otherSelf < 0)
        {
            return self < 0 && otherSelf < 0;
        }
        List<int> component = Component(self);
        List<int> otherComponent = other.Component(otherSelf);
        if (component.Count != otherComponent.Count)
        {
            return false;
        }
        bool sameIndices = Names.AsSpan().SequenceEqual(other.Names);
        var inOther = new bool[other.Names.Length];
        foreach (int j in otherComponent)
        {
            inOther[j] = true;
        }
        var stamp = new int[other.Names.Length];
        foreach (int i in component)
        {
            int j = sameIndices ? i : other.IndexOf(Names[i]);
            if (j < 0 || !inOther[j] || Links[i].Length != other.Links[j].Length)
            {
                return false;
            }
            foreach (int t in other.Links[j])
            {
                stamp[t] = j + 1;
            }
            foreach (int t in Links[i])
            {
                int u = sameIndices ? t : other.IndexOf(Names[t]);
                if (u < 0 || stamp[u] != j + 1)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>Peers connected to <paramref name="start"/> when links are followed either way.</summary>
    private List<int> Component(int start)
    {
        int[][] reverse = EstablishedAndSymmetric ? Links : Reverse(Links);
        var seen = new bool[Links.Length];
        var component = new List<int> { start };
        seen[start] = true;
        for (int k = 0; k < component.Count; k++)
        {
            int current = component[k];
            foreach (int[] neighbours in (ReadOnlySpan<int[]>)[Links[current], reverse[current]])
            {
                foreach (int n in neighbours)
                {
                    if (!seen[n])
                    {
                        seen[n] = true;
                        component.Add(n);
                    }
                }
            }
        }
        return component;
    }
}
