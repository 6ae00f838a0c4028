using Weave.Gossip.Protocol;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

/// <summary>
/// Topology gossip. Weave sent its whole topology (O(N²) bytes) to random neighbours every 30 s
/// and flooded changes; storms followed above ~100 peers. Here:
/// <list type="number">
/// <item>A change to our connections goes out once (after <see cref="MeshOptions.UpdateDelay"/>,
/// spaced further with many links) as our record alone, to our neighbours.</item>
/// <item>A receiver merges; what improved its state is relayed along the broadcast tree of the
/// record's owner, except to the peers the record lists (the owner told them), after
/// <see cref="MeshOptions.RelayDelay"/>, so while the topology is stable each peer gets each change once.</item>
/// <item>Anti-entropy sends a digest, (name, UID, version) per peer, to one random neighbour per
/// interval and on every new connection; the answer carries only the records that differ.</item>
/// </list>
/// Steady-state cost per peer is one digest (about 20 bytes per known peer) per interval.
/// </summary>
public sealed partial class MeshNode
{
    private RouteTable _dataRoutes;
    private RouteTable _currentDataRoutes;
    private long _currentDataRoutesGeneration; // the topology's Generation that _currentDataRoutes were computed at
    private RouteTable _gossipRoutes;
    private long _gossipRoutesGeneration; // the topology's LinksGeneration that _gossipRoutes were computed at

    /// <summary>When each currently unreachable peer was first seen unreachable.</summary>
    private readonly Dictionary<PeerName, DateTimeOffset> _unreachableSince = [];

    /// <summary>Peers new to us that we connected to since our last announcement: their records go with ours.</summary>
    private readonly HashSet<PeerName> _newNeighbours = [];

    /// <summary>How often gossip routes were computed (a test's view of what a change costs).</summary>
    internal int GossipRouteComputations { get; private set; }

    /// <summary>
    /// The data routes of the topology as it is now, recomputed on demand after any change of a
    /// record. <see cref="DataRoutes"/> follows the topology only when the coalesced recalculation
    /// runs, up to <see cref="MeshOptions.RouteRecalcDelay"/> later (longer while a peer waits out
    /// its <see cref="MeshOptions.RemovalDelay"/>): read between a change and then, it shows the
    /// mesh as it was before. A decision taken from reachability reads this table instead: IP
    /// allocation's view (rmpeer refuses a peer it can reach), whose "unreachable" for a peer that
    /// links had only just made reachable in the records would otherwise turn into "reachable"
    /// once the recalculation caught up with them.
    /// </summary>
    public RouteTable CurrentDataRoutes
    {
        get
        {
            if (_currentDataRoutesGeneration != _topology.Generation)
            {
                _currentDataRoutes = RouteTable.Compute(Self.Name, _topology, establishedAndSymmetric: true);
                _currentDataRoutesGeneration = _topology.Generation;
            }
            return _currentDataRoutes;
        }
    }

    /// <summary>Routes over every advertised link, recomputed on demand after the links change,
    /// so a relay decision never uses a topology older than the message being relayed.</summary>
    private RouteTable GossipRoutes
    {
        get
        {
            if (_gossipRoutesGeneration != _topology.LinksGeneration)
            {
                _gossipRoutes = RouteTable.Compute(Self.Name, _topology, establishedAndSymmetric: false);
                _gossipRoutesGeneration = _topology.LinksGeneration;
                GossipRouteComputations++;
            }
            return _gossipRoutes;
        }
    }

    /// <summary>
    /// Announces our record to every neighbour, together with the records of peers new to us that
    /// we connected to since the last announcement (as Weave did): whoever learns of our new link
    /// learns of the newcomer behind it in the same message.
    /// </summary>
    private void BroadcastLocalRecord()
    {
        if (!_topology.TryGet(Self.Name, out PeerRecord? own))
        {
            return;
        }
        var records = new List<PeerRecord> { own };
        foreach (PeerName name in _newNeighbours.Order())
        {
            if (_links.ContainsKey(name) && _topology.TryGet(name, out PeerRecord? record))
            {
                records.Add(record);
            }
        }
        _newNeighbours.Clear();
        foreach (Link link in _links.Values)
        {
            QueueRecords(link, records);
        }
    }

    private void OnTopologyUpdate(Link from, ReadOnlyMemory<byte> body)
    {
        if (!TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error))
        {
            DropLink(from, "invalid topology update: " + error);
            return;
        }
        MergeAndRelay(records, from);
    }

    private void OnTopologyDigest(Link from, ReadOnlyMemory<byte> body)
    {
        if (!TopologyCodec.TryDecodeDigest(body, out IReadOnlyList<DigestEntry>? digest, out string error))
        {
            DropLink(from, "invalid topology digest: " + error);
            return;
        }
        var (theyLack, weLack) = _topology.CompareDigest(digest);
        if (theyLack.Count > 0)
        {
            QueueRecords(from, theyLack);
        }
        if (weLack.Count > 0)
        {
            from.Connection.Send((byte)FrameTag.TopologyRequest, TopologyCodec.EncodeNames(weLack));
        }
    }

    private void OnTopologyRequest(Link from, ReadOnlyMemory<byte> body)
    {
        if (!TopologyCodec.TryDecodeNames(body, out IReadOnlyList<PeerName>? names, out string error))
        {
            DropLink(from, "invalid topology request: " + error);
            return;
        }
        var records = new List<PeerRecord>();
        foreach (PeerName name in names)
        {
            if (_topology.TryGet(name, out PeerRecord? record))
            {
                records.Add(record);
            }
        }
        QueueRecords(from, records);
    }

    /// <summary>
    /// Merges records from a neighbour; what was new is relayed after <see cref="MeshOptions.RelayDelay"/>
    /// (<see cref="RelayPending"/>).
    /// Our own name is never merged: a record of ours under another UID means we restarted and
    /// others still hold our old record, so we jump past its version and announce ourselves again.
    /// </summary>
    private void MergeAndRelay(IReadOnlyList<PeerRecord> records, Link from)
    {
        var others = new List<PeerRecord>(records.Count);
        foreach (PeerRecord record in records)
        {
            if (record.Name != Self.Name)
            {
                others.Add(record);
            }
            else if (record.Uid != Self.Uid && record.Version >= _version)
            {
                _version = record.Version;
                LocalChanged();
            }
        }
        IReadOnlyList<PeerRecord> improved = _topology.Merge(others);
        if (improved.Count == 0)
        {
            return;
        }
        ScheduleRecalc();
        PeerName sender = from.Connection.Remote.Name;
        foreach (PeerRecord record in improved)
        {
            _relaysPending[record.Name] = sender; // a newer version from another neighbour: that one is the sender now
        }
        if (_options.RelayDelay <= TimeSpan.Zero)
        {
            RelayPending();
        }
        else if (_relayFlushDue == DateTimeOffset.MaxValue)
        {
            _relayFlushDue = _time.GetUtcNow() + _options.RelayDelay;
        }
    }

    /// <summary>
    /// Relays the records that improved since the last flush, as they are now, to the neighbours
    /// chosen from the topology as it is now. Choosing when they go rather than when each arrived
    /// computes gossip routes once per flush: while a mesh forms, nearly every update received
    /// changes someone's links, and routes computed per update would cost most of the relaying.
    /// </summary>
    private void RelayPending()
    {
        if (_relaysPending.Count == 0)
        {
            return;
        }
        PeerName[] neighbours = [.. _links.Keys.Order()];
        int floodDegree = FloodDegree();
        // Few links: flood. Every improvement then crosses every live link once, so no view
        // difference can leave a peer out, at a cost of our degree per change.
        bool flood = _links.Count <= floodDegree;
        RouteTable? routes = flood ? null : GossipRoutes;
        // Sparsely connected neighbours flood themselves but hear only from their few links: if
        // trees from differing views all pass them by, nobody else will tell them. They get
        // every improvement from us directly, as every neighbour does when we flood.
        PeerName[] direct = flood ? neighbours :
            [.. neighbours.Where(n => !_topology.TryGet(n, out PeerRecord? r) || r.Connections.Count <= floodDegree)];
        var relays = new Dictionary<PeerName, List<PeerRecord>>();
        var skip = new HashSet<PeerName>();
        foreach (var (name, sender) in _relaysPending)
        {
            if (!_topology.TryGet(name, out PeerRecord? record))
            {
                continue; // removed meanwhile
            }
            NotRelayedTo(record, sender, skip);
            foreach (PeerName hop in direct)
            {
                if (!skip.Contains(hop))
                {
                    AddRelay(relays, hop, record);
                }
            }
            if (routes is null)
            {
                continue;
            }
            foreach (PeerName hop in routes.BroadcastNextHops(name))
            {
                if (!skip.Contains(hop) && _links.ContainsKey(hop))
                {
                    AddRelay(relays, hop, record);
                }
            }
            // Peers compute broadcast trees from their own views, which differ while a change is
            // still spreading, so a tree can miss a peer. A couple of random extra relays close
            // such gaps with high probability at a small constant cost per peer; periodic digests
            // repair the rest. Every peer a record lists got it from its owner and relays it, so
            // with many listed only some of them add extras: about the flood degree's worth in all,
            // not a couple per listed peer, a number of copies that would grow with its links.
            int listed = record.Connections.Count;
            if (listed > floodDegree && _random.Next(listed) >= floodDegree)
            {
                continue;
            }
            PeerName[] unsent = [.. neighbours.Where(n => !skip.Contains(n))];
            for (int i = 0; i < ExtraRelays && unsent.Length > 0; i++)
            {
                AddRelay(relays, unsent[_random.Next(unsent.Length)], record);
            }
        }
        _relaysPending.Clear();
        foreach (var (hop, batch) in relays)
        {
            QueueRecords(_links[hop], batch);
        }
    }

    /// <summary>
    /// Fills <paramref name="skip"/> with the neighbours <paramref name="record"/> is not relayed
    /// to: the one its newest version came from, and the peers it lists. An owner announces each
    /// version of its record to every link the version lists (its links when it was made), so
    /// relaying it there only repeats it. While a full mesh forms, each peer's record changes with
    /// every link it gains and goes to every neighbour directly; relays (tree, sparse and random)
    /// then only need to reach the peers it is not linked to yet. If such a link breaks before the
    /// record crossed it, the next version no longer lists that peer and is relayed to it.
    /// </summary>
    private static void NotRelayedTo(PeerRecord record, PeerName sender, HashSet<PeerName> skip)
    {
        skip.Clear();
        skip.Add(sender);
        foreach (ConnectionSummary connection in record.Connections)
        {
            skip.Add(connection.Remote);
        }
    }

    /// <summary>Random neighbours each improvement is also relayed to, beyond the broadcast tree.</summary>
    private const int ExtraRelays = 2;

    /// <summary>
    /// Up to this many links a peer floods improvements instead of following broadcast trees:
    /// log₂(peers), at least 4. Trees are computed from views that differ while changes spread,
    /// and a tree through a peer that just left loses its subtree; in a sparse mesh that left
    /// peers waiting for the next periodic digest (25–30 s at N = 250). Flooding costs a sparse
    /// peer its few links per change; a densely connected peer keeps the trees (in a full mesh
    /// every owner reaches everyone directly, so trees have no gaps to fill) but still sends every
    /// improvement to its sparse neighbours, which costs a full mesh's formation some bytes
    /// (bench/README.md, mesh-scale); a higher threshold would cost more.
    /// </summary>
    private int FloodDegree() => Math.Max(4, (int)Math.Ceiling(Math.Log2(Math.Max(2, _topology.Count))));

    /// <summary>Adds <paramref name="record"/> to what goes to <paramref name="hop"/>, once: records are relayed one at a time.</summary>
    private static void AddRelay(Dictionary<PeerName, List<PeerRecord>> relays, PeerName hop, PeerRecord record)
    {
        if (!relays.TryGetValue(hop, out List<PeerRecord>? batch))
        {
            relays[hop] = batch = [];
        }
        if (batch.Count == 0 || !ReferenceEquals(batch[^1], record))
        {
            batch.Add(record);
        }
    }

    /// <summary>Roughly how many bytes a record takes on the wire, to keep updates well under the frame limit.</summary>
    private static int EstimatedSize(PeerRecord record) =>
        64 + record.NickName.Length + (record.Cluster is null ? 0 : 64) + (record.Connections.Count * 40);

    /// <summary>
    /// Target size of one topology update. Well under the 85,000 bytes from which .NET puts an
    /// array on the large object heap, with the copies that encoding and framing make: an update
    /// is garbage once sent, and on that heap garbage stays until a full collection, so larger
    /// updates made every router's memory grow with the updates it sent while the mesh formed.
    /// </summary>
    private const int UpdateChunkBytes = 32 * 1024;

    /// <summary>Garbage collection, data routes and discovery, coalesced after changes.</summary>
    private void Recalculate()
    {
        RemoveLongUnreachable();
        RouteTable data = CurrentDataRoutes;
        if (!data.SameAs(_dataRoutes))
        {
            _dataRoutes = data;
            DataRoutesChanged?.Invoke(data);
        }
        UpdateDiscoveredTargets();
    }

    /// <summary>
    /// Removes peers unreachable over every advertised connection for at least
    /// <see cref="MeshOptions.RemovalDelay"/>, and comes back when the next one is due.
    /// </summary>
    private void RemoveLongUnreachable()
    {
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<PeerRecord> unreachable = _topology.FindUnreachable(Self.Name);
        var still = new HashSet<PeerName>(unreachable.Select(r => r.Name));
        foreach (PeerName name in _unreachableSince.Keys.Where(n => !still.Contains(n)).ToList())
        {
            _unreachableSince.Remove(name);
        }
        var removed = new List<PeerRecord>();
        DateTimeOffset nextCheck = DateTimeOffset.MaxValue;
        foreach (PeerRecord record in unreachable)
        {
            if (!_unreachableSince.TryGetValue(record.Name, out DateTimeOffset since))
            {
                _unreachableSince[record.Name] = since = now;
            }
            DateTimeOffset due = since + _options.RemovalDelay;
            if (due <= now)
            {
                _topology.Remove(record.Name);
                _unreachableSince.Remove(record.Name);
                removed.Add(record);
            }
            else if (due < nextCheck)
            {
                nextCheck = due;
            }
        }
        if (nextCheck < _recalcDue)
        {
            _recalcDue = nextCheck;
        }
        if (removed.Count > 0)
        {
            PeersRemoved?.Invoke(removed);
        }
    }

    private void PeriodicGossip()
    {
        if (_links.Count == 0)
        {
            return;
        }
        Link[] links = [.. _links.Values.OrderBy(l => l.Connection.Remote.Name)];
        QueueDigest(links[_random.Next(links.Length)]);
        GossipChannelStates(links);
    }
}
