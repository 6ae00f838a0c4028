using Weave.Gossip.Protocol;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

/// <summary>
/// One router's view of the mesh, with no I/O of its own ("sans-IO"): the host (the router over
/// TCP, or the simulator in memory) feeds it connection events, messages and clock ticks, and it
/// answers through <see cref="IMeshConnection.Send"/>, <see cref="IMeshConnection.Close"/> and
/// <see cref="IMeshTransport.Dial"/>. Not thread-safe: the host calls it from one loop.
/// <list type="bullet">
/// <item>Connections: admission (ourselves, name collisions, clusters, duplicates, restarts, the limit), and
/// our own topology record, re-versioned on every change.</item>
/// <item>Sending (<c>MeshNode.Outbox.cs</c>): what a slow reader is owed is held back and coalesced.</item>
/// <item>Topology (<c>MeshNode.Topology.cs</c>): changes flow as deltas along broadcast trees;
/// digests of (name, UID, version) repair what deltas missed; unreachable peers are dropped.</item>
/// <item>Targets (<c>MeshNode.Targets.cs</c>): direct and discovered peers dialled with backoff.</item>
/// <item>Channels (<c>MeshNode.Channels.cs</c>): unicast, broadcast and neighbour gossip for
/// subsystems such as IP allocation.</item>
/// </list>
/// </summary>
public sealed partial class MeshNode
{
    private readonly MeshOptions _options;
    private readonly IMeshTransport _transport;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly PeerTopology _topology = new();

    /// <summary>Accepted connections by remote peer name: at most one per peer.</summary>
    private readonly Dictionary<PeerName, Link> _links = [];
    private long _connectionTerminations; // established connections that ended, for weave_connection_terminations_total

    private ulong _version;
    private bool _stopped;
    private DateTimeOffset _updateDue = DateTimeOffset.MaxValue;
    private DateTimeOffset _lastAnnounced = DateTimeOffset.MinValue;
    private DateTimeOffset _recalcDue = DateTimeOffset.MaxValue;
    private DateTimeOffset _gossipDue;

    public MeshNode(PeerIdentity self, MeshOptions options, IMeshTransport transport, TimeProvider time, Random random)
    {
        ArgumentNullException.ThrowIfNull(self);
        Self = self;
        _options = options;
        _transport = transport;
        _time = time;
        _random = random;
        _version = 1;
        _topology.SetLocal(LocalRecord());
        _dataRoutes = RouteTable.Compute(self.Name, _topology, establishedAndSymmetric: true);
        _currentDataRoutes = _dataRoutes;
        _currentDataRoutesGeneration = _topology.Generation;
        _gossipRoutes = RouteTable.Compute(self.Name, _topology, establishedAndSymmetric: false);
        _gossipRoutesGeneration = _topology.LinksGeneration;
        _gossipDue = time.GetUtcNow() + JitteredGossipInterval();
    }

    public PeerIdentity Self { get; }

    public PeerTopology Topology => _topology;

    /// <summary>
    /// Routes over established, symmetric links: where data may go. The table the data plane was
    /// last given (<see cref="DataRoutesChanged"/>), recalculated <see cref="MeshOptions.RouteRecalcDelay"/>
    /// after a change, so it can lag the topology; <see cref="CurrentDataRoutes"/> does not.
    /// </summary>
    public RouteTable DataRoutes => _dataRoutes;

    /// <summary>Peers garbage-collected from the topology (unreachable over every advertised link).</summary>
    public event Action<IReadOnlyList<PeerRecord>>? PeersRemoved;

    /// <summary>The data routes changed (recalculation is coalesced).</summary>
    public event Action<RouteTable>? DataRoutesChanged;

    /// <summary>Connections currently accepted (one per remote peer).</summary>
    public int ConnectionCount => _links.Count;

    public void Start(IEnumerable<PeerAddress> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        Connect(targets, replace: false);
    }

    /// <summary>
    /// A handshake completed. Returns false when the connection is refused (it is ourselves, its
    /// name collides with ours, its cluster may not peer with ours (<see cref="ClusterAdmission"/>),
    /// it duplicates a connection we keep, it claims the name of a peer whose live connection we
    /// keep, or we are at the limit); the node has then closed it and forgets it.
    /// </summary>
    public bool OnConnected(IMeshConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Refusal? refusal = Admit(connection);
        if (refusal is not null)
        {
            connection.Close(refusal.Reason);
            OnOutboundRefused(connection, refusal);
            return false;
        }
        // A peer we could already reach shares our topology (deltas keep us in step); a peer we
        // could not is new to us, or was on the other side of a partition.
        // A new UID under a known name is a restarted peer that knows nothing yet.
        bool strangers = !GossipRoutes.TryGetNextHop(connection.Remote.Name, out _) ||
            (_topology.TryGet(connection.Remote.Name, out PeerRecord? known) && known.Uid != connection.Remote.Uid);
        var link = new Link(connection, _time.GetUtcNow()) { DataPathHealthy = !_options.RequireDataPathHealth };
        _links[connection.Remote.Name] = link;
        if (strangers)
        {
            _newNeighbours.Add(connection.Remote.Name);
        }
        OnOutboundAccepted(connection);
        LocalChanged();
        // Between strangers the dialler starts anti-entropy: the acceptor answers with what the
        // dialler lacks and asks for what it lacks itself (crossing digests would send everything
        // twice). Between peers of one mesh a full exchange on every new link made forming a full
        // mesh cost O(N⁴) bytes; periodic digests still repair whatever deltas miss. A sparsely
        // connected peer syncs on every new link all the same: it floods instead of using trees
        // (see FloodDegree), and a flood reaches only the links that existed when it passed, so
        // a link made during formation would otherwise miss what crossed its ends before.
        if ((connection.Outbound && strangers) || _links.Count <= FloodDegree())
        {
            QueueDigest(link);
        }
        SendChannelStates(link);
        return true;
    }

    private Refusal? Admit(IMeshConnection connection)
    {
        if (_stopped)
        {
            return new Refusal("router shutting down", Fatal: false);
        }
        PeerIdentity remote = connection.Remote;
        if (remote.Name == Self.Name)
        {
            return new Refusal(remote.Uid == Self.Uid
                ? "cannot connect to ourself"
                : $"peer name collision: {Self.Name} is also the name of {remote.Display} at {connection.RemoteAddress}; give each router its own --name", Fatal: true);
        }
        if (!ClusterAdmission.Admits(Self.Cluster, remote.Cluster, _options.PeerClusters, out string? clusterRefusal))
        {
            // Not fatal: each of these is fixed on one end by a restart with other settings (the
            // range, the cluster name, --peer-clusters), and the link should then come up with
            // no one running `weave connect` again. Until then the target's backoff grows to
            // MaximumRetryDelay, and discovery does not dial such peers at all (UpdateDiscoveredTargets).
            return new Refusal(clusterRefusal, Fatal: false);
        }
        if (_links.TryGetValue(remote.Name, out Link? existing))
        {
            if (existing.Connection.Remote.Uid != remote.Uid)
            {
                // The peer restarted and the old connection has not noticed yet, or someone
                // claims its name. Without a password nothing proves who is who, so a connection
                // that still hears heartbeats stays; a restarted peer gets in once it falls silent.
                TimeSpan silent = _time.GetUtcNow() - existing.Connection.LastReceived;
                if (!connection.Authenticated && silent < _options.SupersedeAfterSilence)
                {
                    return new Refusal($"{remote.Name} is connected already under another UID, and that connection is live " +
                        $"(heard from {Math.Max(0, silent.TotalSeconds):0} s ago); a restarted peer is let in once it has been silent " +
                        $"for {_options.SupersedeAfterSilence.TotalSeconds:0} s", Fatal: false);
                }
                DropLink(existing, "superseded: the peer restarted");
                return null;
            }
            if (connection.ConnectionUid < existing.Connection.ConnectionUid)
            {
                // Both ends compare the same two values, so both keep the same connection.
                DropLink(existing, "duplicate connection");
                return null;
            }
            if (connection.ConnectionUid == existing.Connection.ConnectionUid)
            {
                DropLink(existing, "duplicate connection with an equal UID");
            }
            return new Refusal("duplicate connection", Fatal: false);
        }
        // Every connection counts, pending ones included. (A peer we could not reach otherwise
        // used to be let in beyond the limit so that it could join; made-up peers, each new to
        // us, then came in without end.) Newcomers find room because discovery stops one short
        // of the limit (MeshNode.Targets.cs): a full mesh of up to the limit's peers keeps a slot.
        if (_options.ConnectionLimit > 0 && _links.Count >= _options.ConnectionLimit)
        {
            return new Refusal($"connection limit {_options.ConnectionLimit} reached", Fatal: false);
        }
        return null;
    }

    /// <summary>The host reports the end of a connection; unknown or already dropped ones are ignored.</summary>
    public void OnClosed(IMeshConnection connection, string reason)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_links.TryGetValue(connection.Remote.Name, out Link? link) && link.Connection == connection)
        {
            RemoveLink(link, reason);
        }
    }

    /// <summary>Closes a link we no longer want and forgets it at once.</summary>
    private void DropLink(Link link, string reason)
    {
        link.Connection.Close(reason);
        RemoveLink(link, reason);
    }

    private void RemoveLink(Link link, string reason)
    {
        _links.Remove(link.Connection.Remote.Name);
        _connectionTerminations++;
        OnOutboundClosed(link, reason);
        LocalChanged();
    }

    /// <summary>Runs whatever is due now: the coalesced update, recalculation, gossip, dials.</summary>
    public void Tick()
    {
        if (_stopped)
        {
            return;
        }
        DateTimeOffset now = _time.GetUtcNow();
        if (now >= _updateDue)
        {
            _updateDue = DateTimeOffset.MaxValue;
            _lastAnnounced = now;
            BroadcastLocalRecord();
        }
        if (now >= _recalcDue)
        {
            _recalcDue = DateTimeOffset.MaxValue;
            Recalculate();
        }
        if (now >= _gossipDue)
        {
            _gossipDue = now + JitteredGossipInterval();
            PeriodicGossip();
        }
        FlushRelays(now);
        RetryBacklogged(now);
        DialDueTargets(now);
    }

    /// <summary>When <see cref="Tick"/> must next run.</summary>
    public DateTimeOffset NextDeadline
    {
        get
        {
            if (_stopped)
            {
                return DateTimeOffset.MaxValue;
            }
            DateTimeOffset next = Min(Min(_updateDue, _recalcDue), Min(Min(_gossipDue, _backlogRetryDue), _relayFlushDue));
            return Min(next, NextTargetDeadline());
        }
    }

    /// <summary>Closes every connection and stops dialling.</summary>
    public void Stop()
    {
        _stopped = true;
        foreach (Link link in _links.Values.ToList())
        {
            link.Connection.Close("router shutting down");
        }
        _links.Clear();
    }

    public void OnMessage(IMeshConnection connection, byte tag, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_stopped || !_links.TryGetValue(connection.Remote.Name, out Link? link) || link.Connection != connection)
        {
            return;
        }
        switch ((FrameTag)tag)
        {
            case FrameTag.TopologyUpdate:
                OnTopologyUpdate(link, body);
                break;
            case FrameTag.TopologyDigest:
                OnTopologyDigest(link, body);
                break;
            case FrameTag.TopologyRequest:
                OnTopologyRequest(link, body);
                break;
            case FrameTag.GossipUnicast:
            case FrameTag.GossipBroadcast:
            case FrameTag.Gossip:
                OnChannelMessage(link, (FrameTag)tag, body);
                break;
            default:
                // Heartbeats are the host's; unknown tags come from newer peers and are ignored.
                break;
        }
    }

    /// <summary>Our own record, from the links we hold, in name order so every rebuild is identical.</summary>
    private PeerRecord LocalRecord() => new(Self.Name, Self.NickName, Self.Uid, _version,
        [.. _links.Values
            .OrderBy(l => l.Connection.Remote.Name)
            .Select(l => new ConnectionSummary(l.Connection.Remote.Name, l.Connection.RemoteAddress, l.Connection.Outbound, l.DataPathHealthy))],
        Self.Cluster);

    /// <summary>Our connections changed: new version now, announcement shortly (coalesced).</summary>
    private void LocalChanged()
    {
        _version++;
        _topology.SetLocal(LocalRecord());
        DateTimeOffset now = _time.GetUtcNow();
        if (_updateDue == DateTimeOffset.MaxValue)
        {
            _updateDue = Max(now + _options.UpdateDelay, _lastAnnounced + AnnouncementSpacing());
        }
        ScheduleRecalc();
    }

    /// <summary>
    /// A recalculation within <see cref="MeshOptions.RouteRecalcDelay"/>, or sooner if one is due
    /// sooner. Not later: <see cref="RemoveLongUnreachable"/> leaves the next removal check (up to
    /// <see cref="MeshOptions.RemovalDelay"/> away) as the due time, and a change made meanwhile
    /// reached the data routes only then.
    /// </summary>
    private void ScheduleRecalc()
    {
        DateTimeOffset due = _time.GetUtcNow() + _options.RouteRecalcDelay;
        if (due < _recalcDue)
        {
            _recalcDue = due;
        }
    }

    private TimeSpan JitteredGossipInterval() => _options.GossipInterval * (0.9 + (0.2 * _random.NextDouble()));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>
    /// The least time between two announcements of our record: <see cref="MeshOptions.UpdateDelay"/>
    /// per <see cref="LinksPerUpdateDelay"/> links. An announcement costs links × record size, and
    /// the record grows with the links, so announcing at a fixed rate made forming a full mesh
    /// cost each peer O(N²) bytes per second; spaced like this it costs O(N).
    /// </summary>
    private TimeSpan AnnouncementSpacing() => _options.UpdateDelay * Math.Max(1, _links.Count / LinksPerUpdateDelay);

    private const int LinksPerUpdateDelay = 10;

    /// <summary>
    /// The host's verdict on a connection's data path (UDP heartbeats both ways): a healthy one is
    /// established in our record, so data routes use it; an unhealthy one is listed as not
    /// established (pending), so data routes go around it. Returns true when that changed (our
    /// record is re-versioned and announced, routes recalculated); false when it did not, or the
    /// connection is not the one we keep for that peer (a late report for a closed connection).
    /// </summary>
    /// <param name="reason">Why it is not healthy, shown in <c>weave status connections</c>.</param>
    public bool SetDataPathHealth(IMeshConnection connection, bool healthy, string reason)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_stopped || !_links.TryGetValue(connection.Remote.Name, out Link? link) || link.Connection != connection)
        {
            return false;
        }
        link.DataPathReason = reason;
        if (link.DataPathHealthy == healthy)
        {
            return false;
        }
        link.DataPathHealthy = healthy;
        LocalChanged();
        return true;
    }

    /// <summary>An accepted connection and when it was accepted; whether its data path is healthy, and if not why.</summary>
    private sealed record Link(IMeshConnection Connection, DateTimeOffset Since)
    {
        public bool DataPathHealthy { get; set; }

        /// <summary>What the peer is owed and has not been sent while its queue is backed up.</summary>
        public Outbox Outbox { get; } = new();

        public string DataPathReason { get; set; } = "waiting for UDP heartbeats";
    }
}
