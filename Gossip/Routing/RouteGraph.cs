using Weave.Gossip.Topology;

namespace Weave.Gossip.Routing;

/// <summary>
/// A topology reduced to what routing needs: peers as dense indices and each peer's out-links under
/// one link rule. Indices put the peers with a record first, in name order, then the placeholders
/// (names only seen in someone's connection list) in name order; placeholders have no out-links, so
/// sorting a BFS level by index visits every peer that can extend the BFS in name order.
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

    /// <summary>Index → out-neighbours' indices, ascending, without duplicates or self-links.</summary>
    public int[][] Links { get; }

    public int IndexOf(PeerName name) => _index.TryGetValue(name, out int i) ? i : -1;

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
        for (int i = 0; i < records.Length; i++)
        {
            index.Add(records[i].Name, i);
        }
        var names = new List<PeerName>(records.Length);
        foreach (PeerRecord record in records)
        {
            names.Add(record.Name);
        }
        if (!establishedAndSymmetric)
        {
            // Placeholders: a link needs no record at its far end (Weave's UID-0 peers).
            var placeholders = new List<PeerName>();
            foreach (PeerRecord record in records)
            {
                foreach (ConnectionSummary connection in record.Connections)
                {
                    if (!index.ContainsKey(connection.Remote))
                    {
                        index.Add(connection.Remote, -1);
                        placeholders.Add(connection.Remote);
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

        var links = new int[names.Count][];
        var scratch = new List<int>();
        for (int i = 0; i < records.Length; i++)
        {
            scratch.Clear();
            foreach (ConnectionSummary connection in records[i].Connections)
            {
                if ((!establishedAndSymmetric || connection.Established) &&
                    index.TryGetValue(connection.Remote, out int j) && j != i)
                {
                    scratch.Add(j);
                }
            }
            scratch.Sort();
            links[i] = SortedDistinct(scratch);
        }
        for (int i = records.Length; i < links.Length; i++)
        {
            links[i] = [];
        }
        if (establishedAndSymmetric)
        {
            links = KeepSymmetric(links);
        }
        return new RouteGraph(establishedAndSymmetric, [.. names], index, links);
    }

    private static int[] SortedDistinct(List<int> sorted)
    {
        int distinct = 0;
        for (int k = 0; k < sorted.Count; k++)
        {
            if (k == 0 || sorted[k] != sorted[k - 1])
            {
                sorted[distinct++] = sorted[k];
            }
        }
        var result = new int[distinct];
        sorted.CopyTo(0, result, 0, distinct);
        return result;
    }

    /// <summary>Keeps A→B only when B→A is there too (both ends list each other as established).</summary>
    private static int[][] KeepSymmetric(int[][] established)
    {
        var symmetric = new int[established.Length][];
        var scratch = new List<int>();
        for (int i = 0; i < established.Length; i++)
        {
            scratch.Clear();
            foreach (int j in established[i])
            {
                if (Array.BinarySearch(established[j], i) >= 0)
                {
                    scratch.Add(j);
                }
            }
            symmetric[i] = scratch.Count == established[i].Length ? established[i] : [.. scratch];
        }
        return symmetric;
    }

    /// <summary>Same link rule, same peers at the same indices, same links.</summary>
    public bool SameAs(RouteGraph other)
    {
        if (EstablishedAndSymmetric != other.EstablishedAndSymmetric ||
            !Names.AsSpan().SequenceEqual(other.Names))
        {
            return false;
        }
        for (int i = 0; i < Links.Length; i++)
        {
            if (!Links[i].AsSpan().SequenceEqual(other.Links[i]))
            {
                return false;
            }
        }
        return true;
    }
}
