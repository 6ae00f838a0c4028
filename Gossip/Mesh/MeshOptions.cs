namespace Weave.Gossip.Mesh;

/// <summary>How a mesh node behaves; production defaults, shortened by tests and the simulator.</summary>
public sealed record MeshOptions
{
    /// <summary>The mesh's TCP port: discovered peers seen only from their inbound side are dialled here.</summary>
    public int Port { get; init; } = 6783;

    /// <summary>Most connections (inbound plus outbound) we keep; 0 means unlimited. Weave's default.</summary>
    public int ConnectionLimit { get; init; } = 200;

    /// <summary>Dial peers learned from others' records, so the mesh becomes fully connected.</summary>
    public bool Discovery { get; init; } = true;

    /// <summary>Period of anti-entropy: a digest to one random neighbour, channel state to a few.</summary>
    public TimeSpan GossipInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Local changes within this window go out as one update.</summary>
    public TimeSpan UpdateDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Records relayed for others wait this long, so that what arrives meanwhile goes in the same
    /// update and a newer version of a record replaces an older one still waiting. Zero relays at once.
    /// </summary>
    public TimeSpan RelayDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Data-route recalculation is coalesced over this window.</summary>
    public TimeSpan RouteRecalcDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a peer must stay unreachable before it is removed. A newcomer's record can arrive
    /// (relayed) a moment before the record of the peer it connected to; without this grace it
    /// would be removed, reported gone, and only come back with the next digest.
    /// </summary>
    public TimeSpan RemovalDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>First retry delay of a failing target; it grows by half per failure up to <see cref="MaximumRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaximumRetryDelay { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>
    /// When true, a new connection counts as established in our record (and so carries data
    /// routes) only once the host reports its data path healthy (<see cref="MeshNode.SetDataPathHealth"/>);
    /// until then <c>weave status</c> shows it pending. The router sets it; the simulator, which
    /// has no data plane, leaves it off and every connection is established at once.
    /// </summary>
    public bool RequireDataPathHealth { get; init; }

    /// <summary>
    /// Without a password a newcomer claiming the name of a connected peer under a new UID (a
    /// restart) replaces that connection only once it has heard nothing, not even a heartbeat
    /// (every 10 s), for this long: a live peer cannot be knocked off by anyone who claims its name.
    /// </summary>
    public TimeSpan SupersedeAfterSilence { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// While a connection has this many bytes queued and not yet taken by its socket, topology
    /// records, digests and channel state for it are held back and coalesced (a newer record of a
    /// peer replaces the older; a channel's state is sent once, as it is when the peer reads again).
    /// </summary>
    public long SendBacklogLimitBytes { get; init; } = 64 * 1024;

    /// <summary>How often held-back messages are tried again when the host does not say its queue drained.</summary>
    public TimeSpan BacklogRetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The clusters other than ours whose routers we connect to (<c>--peer-clusters</c>); null
    /// admits every cluster whose range does not overlap ours. Enforced on both ends, since each
    /// end admits the other.
    /// </summary>
    public IReadOnlySet<string>? PeerClusters { get; init; }

    /// <summary>A connection that lived this long was healthy: its target's backoff starts over.</summary>
    public TimeSpan StableConnection { get; init; } = TimeSpan.FromMinutes(1);
}
