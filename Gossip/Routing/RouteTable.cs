using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Weave.Gossip.Topology;

namespace Weave.Gossip.Routing;

/// <summary>
/// Routes computed from a topology, deterministically (same topology → same routes on every peer):
/// a BFS from a start peer where each BFS level is visited in peer-name order, as Weave's
/// <c>routes.go</c> does. The first peer of a level (in name order) that links to an unvisited
/// peer claims it, so every peer that runs the same BFS draws the same tree.
/// <para>
/// Two link rules: with <c>establishedAndSymmetric</c> (data routes) a link A–B exists when A lists
/// B as established and B lists A as established; otherwise (gossip routes) a directed link A→B
/// exists when A's record lists B in any state, and B needs no record of its own yet.
/// </para>
/// Immutable once computed and safe to share between threads: the unicast table is built eagerly,
/// broadcast next hops lazily per source into a concurrent cache.
/// </summary>
public sealed class RouteTable
{
    private readonly RouteGraph _graph;
    private readonly int _self;                                  // index of Self in _graph, or -1
    private readonly Dictionary<PeerName, PeerName> _nextHops;  // destination → first hop
    private readonly PeerName[] _reachable;                      // by name, excluding Self
    private readonly ConcurrentDictionary<PeerName, PeerName[]> _broadcast = new();
    private readonly ConcurrentDictionary<PeerName, PeerName[][]> _trees = new();  // source → children by graph index

    private RouteTable(PeerName self, RouteGraph graph)
    {
        Self = self;
        _graph = graph;
        _self = graph.IndexOf(self);
        (_nextHops, _reachable) = ComputeUnicast();
    }

    public static RouteTable Compute(PeerName self, PeerTopology topology, bool establishedAndSymmetric)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return new RouteTable(self, RouteGraph.Build(topology, establishedAndSymmetric));
    }

    public PeerName Self { get; }

    /// <summary>Whether this table follows the data-plane rule (established, symmetric links only).</summary>
    public bool EstablishedAndSymmetric => _graph.EstablishedAndSymmetric;

    /// <summary>The peers we can reach, in name order, excluding <see cref="Self"/>.</summary>
    public IReadOnlyCollection<PeerName> Reachable => _reachable;

    /// <summary>Our neighbour on the way to <paramref name="destination"/>; false when unreachable or Self.</summary>
    public bool TryGetNextHop(PeerName destination, out PeerName nextHop) => _nextHops.TryGetValue(destination, out nextHop);

    /// <summary>
    /// Weave's broadcast tree: a BFS from <paramref name="source"/> until it reaches us; our next hops
    /// are our direct neighbours not yet reached at that point (for source == Self: all our
    /// neighbours), in name order. Empty when the source is unknown or cannot reach us. Each peer
    /// thus gets one copy while the topology is stable. Computed once per source, then cached.
    /// </summary>
    public IReadOnlyList<PeerName> BroadcastNextHops(PeerName source) =>
        _broadcast.GetOrAdd(source, static (s, table) => table.ComputeBroadcast(s), this);

    /// <summary>
    /// The peers <paramref name="peer"/> relays a broadcast of <paramref name="source"/> to, in
    /// name order: the whole BFS of <see cref="BroadcastNextHops"/> run to the end, each peer
    /// claiming its neighbours not yet reached at its turn. For <paramref name="peer"/> == Self
    /// this equals <see cref="BroadcastNextHops"/>. The data plane asks it of a neighbour to know
    /// whether that neighbour must relay (sleeve) or is a leaf (VXLAN is enough). Empty when either
    /// peer is unknown or unreachable from the source. Computed once per source, then cached;
    /// a lookup allocates nothing.
    /// </summary>
    public IReadOnlyList<PeerName> BroadcastChildren(PeerName source, PeerName peer)
    {
        PeerName[][] tree = _trees.GetOrAdd(source, static (s, table) => table.ComputeBroadcastTree(s), this);
        int index = _graph.IndexOf(peer);
        return index >= 0 && index < tree.Length ? tree[index] : [];
    }

    /// <summary>
    /// True when both tables give the same next hop for every destination and the same broadcast
    /// next hops for every source: same Self, same link rule, and the same peers and links in the
    /// part of the graph connected to Self (links taken either way), the only part routes depend on.
    /// Conservative: a change there that happens to leave all our routes alike still counts as
    /// different; a real difference never counts as same. O(peers + links) of that part.
    /// </summary>
    public bool SameAs(RouteTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other) || (Self == other.Self && _graph.SameAs(_self, other._graph, other._self));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // large meshes: full optimisation from the first recalculation
    private (Dictionary<PeerName, PeerName> NextHops, PeerName[] Reachable) ComputeUnicast()
    {
        var nextHops = new Dictionary<PeerName, PeerName>();
        if (_self < 0)
        {
            return (nextHops, []);
        }
        int[][] links = _graph.Links;
        var hop = new int[links.Length];
        var visited = new bool[links.Length];
        visited[_self] = true;
        var level = new List<int> { _self };
        var next = new List<int>();
        while (level.Count > 0)
        {
            level.Sort(); // indices follow names within records and within placeholders (see RouteGraph)
            foreach (int current in level)
            {
                foreach (int neighbour in links[current])
                {
                    if (visited[neighbour])
                    {
                        continue;
                    }
                    visited[neighbour] = true;
                    hop[neighbour] = current == _self ? neighbour : hop[current];
                    nextHops.Add(_graph.Names[neighbour], _graph.Names[hop[neighbour]]);
                    next.Add(neighbour);
                }
            }
            (level, next) = (next, level);
            next.Clear();
        }
        var reachable = new PeerName[nextHops.Count];
        nextHops.Keys.CopyTo(reachable, 0);
        Array.Sort(reachable);
        return (nextHops, reachable);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // large meshes: full optimisation from the first recalculation
    private PeerName[] ComputeBroadcast(PeerName source)
    {
        int start = _graph.IndexOf(source);
        if (start < 0 || _self < 0)
        {
            return [];
        }
        int[][] links = _graph.Links;
        var reached = new bool[links.Length];
        reached[start] = true;
        var level = new List<int> { start };
        var next = new List<int>();
        while (level.Count > 0)
        {
            level.Sort();
            foreach (int current in level)
            {
                if (current == _self)
                {
                    return UnreachedNeighbours(reached);
                }
                foreach (int neighbour in links[current])
                {
                    if (!reached[neighbour])
                    {
                        reached[neighbour] = true;
                        next.Add(neighbour);
                    }
                }
            }
            (level, next) = (next, level);
            next.Clear();
        }
        return [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private PeerName[][] ComputeBroadcastTree(PeerName source)
    {
        int start = _graph.IndexOf(source);
        if (start < 0)
        {
            return [];
        }
        int[][] links = _graph.Links;
        var children = new PeerName[links.Length][];
        var reached = new bool[links.Length];
        reached[start] = true;
        var level = new List<int> { start };
        var next = new List<int>();
        var claimed = new List<PeerName>();
        while (level.Count > 0)
        {
            level.Sort(); // the same visiting order as ComputeBroadcast, so the same claims
            foreach (int current in level)
            {
                claimed.Clear();
                foreach (int neighbour in links[current])
                {
                    if (!reached[neighbour])
                    {
                        reached[neighbour] = true;
                        next.Add(neighbour);
                        claimed.Add(_graph.Names[neighbour]);
                    }
                }
                claimed.Sort();
                children[current] = [.. claimed];
            }
            (level, next) = (next, level);
            next.Clear();
        }
        for (int i = 0; i < children.Length; i++)
        {
            children[i] ??= [];
        }
        return children;
    }

    private PeerName[] UnreachedNeighbours(bool[] reached)
    {
        var hops = new List<PeerName>();
        foreach (int neighbour in _graph.Links[_self])
        {
            if (!reached[neighbour])
            {
                hops.Add(_graph.Names[neighbour]);
            }
        }
        hops.Sort();
        return [.. hops];
    }
}
