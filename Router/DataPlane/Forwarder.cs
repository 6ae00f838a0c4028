using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Routing;

namespace Weave.Router.DataPlane;

/// <summary>
/// Carries Ethernet frames between the bridge (through the TAP device) and peers: VXLAN over UDP
/// to neighbours, our sleeve format (<see cref="SleeveHeader"/>) for frames relayed through them.
/// <code>
///   TAP thread:    read frames (TCP super-frames of up to 64 KB with offloads) → drop if the
///                  source MAC was seen behind a peer in the last 10 s (we injected it; an older
///                  entry means the MAC moved here: forget it) → drop if above the overlay MTU
///                  and not to be fragmented, answering with ICMP (Forwarder.TooBig.cs) → known
///                  unicast at origin P:
///                  P a neighbour → VXLAN to P; else sleeve Unicast(us → P) to the next hop;
///                  broadcast, multicast, unknown: our broadcast tree's neighbours, VXLAN to
///                  leaves, sleeve Flood(us → H) to those that relay → super-frames cut into
///                  MTU-sized frames, one header each, one UDP GSO send → sendmmsg per socket
///   VXLAN thread:  recvmmsg (GRO runs) → valid VXLAN with our VNI from a neighbour's address →
///                  learn source MAC → that neighbour → TCP segments coalesced (TcpCoalescer) →
///                  TAP. VXLAN is only ever sent by the capturing peer, so it is never relayed.
///   sleeve thread: recvmmsg → valid sleeve header from a neighbour's sleeve address → for another
///                  peer: forward unchanged to its next hop; for us: learn source MAC → the
///                  header's source, write to the TAP, and for a flood relay a copy to each of
///                  our children in the source's broadcast tree (naming the child)
/// </code>
/// Three dedicated threads with blocking calls and preallocated batches and buffers: nothing is
/// allocated per frame. With a <see cref="Readiness"/>, the TAP thread also serves both sockets
/// (one wakeup per frame instead of two), and hands a socket to its thread only while traffic is
/// bulk both ways (Forwarder.Handoff.cs). Where frames go is a <see cref="ForwardingPlan"/>
/// swapped whole by the control plane. Two threads send on the sleeve socket (the TAP thread and the sleeve thread's
/// relays), serialised per batch by a lock in the Linux transport; three write to the TAP (the
/// receive threads, and the TAP thread's ICMP answers), which LinuxTapDevice allows. The parts:
/// Forwarder.Bridge.cs (TAP thread), Forwarder.Vxlan.cs (VXLAN thread), Forwarder.Sleeve.cs
/// (sleeve thread), Forwarder.Handoff.cs (who reads the sockets), Forwarder.TooBig.cs (the overlay
/// MTU check).
/// </summary>
public sealed partial class Forwarder : IDataPlane, IDisposable
{
    /// <summary>How long a blocking read waits before checking for shutdown.</summary>
    private const int PollMilliseconds = 200;

    /// <summary>Datagrams (or GSO sends) gathered before a send (a batch of frames times the flood fan-out).</summary>
    private const int SendBatchSize = 64;

    /// <summary>Buffers for cut super-frames and sleeve copies (one per GSO send) before a send must go out.</summary>
    private const int SegmentBufferCount = 16;

    /// <summary>Frames gathered before a TAP write, and buffers for coalesced super-frames.</summary>
    private const int BridgeBatchSize = 64;
    private const int CoalesceBufferCount = 16;

    /// <summary>A MAC seen behind a peer this recently and then captured from our bridge is our own
    /// injection come back (dropped); seen longer ago, the MAC has moved to our bridge.</summary>
    public static readonly TimeSpan LoopWindow = TimeSpan.FromSeconds(10);

    /// <summary>MAC entries idle this long are forgotten (Weave's 10 minutes).</summary>
    public static readonly TimeSpan MacIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How often the VXLAN thread looks for idle MAC entries.</summary>
    private static readonly TimeSpan s_expiryInterval = TimeSpan.FromSeconds(30);

    private readonly PeerName _self;
    private readonly ITapDevice _tap;
    private readonly IDatagramTransport _vxlan;
    private readonly IDatagramTransport _sleeve;
    private readonly int _vni;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly MacTable _macs = new();
    private readonly long _loopWindowTicks;
    private readonly long _macIdleTicks;
    private readonly Lock _planWriteLock = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile ForwardingPlan _plan;
    private DataPeer[] _peers = [];        // guarded by _planWriteLock
    private RouteTable? _routes;           // guarded by _planWriteLock
    private Thread? _tapThread;
    private Thread? _vxlanThread;
    private Thread? _sleeveThread;
    private int _disposed;

    /// <param name="self">Our peer name, written as the source of the frames we capture.</param>
    /// <param name="vxlan">The VXLAN socket (UDP 6784 by default).</param>
    /// <param name="sleeve">The sleeve socket (UDP 6783 by default, the mesh port).</param>
    public Forwarder(PeerName self, ITapDevice tap, IDatagramTransport vxlan, IDatagramTransport sleeve, int vni, TimeProvider time, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vni);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vni, VxlanHeader.MaxVni);
        ArgumentNullException.ThrowIfNull(time);
        _self = self;
        _tap = tap;
        _vxlan = vxlan;
        _sleeve = sleeve;
        _vni = vni;
        _time = time;
        _log = log;
        _plan = ForwardingPlan.Empty(self);
        _loopWindowTicks = (long)(LoopWindow.TotalSeconds * time.TimestampFrequency);
        _macIdleTicks = (long)(MacIdleTimeout.TotalSeconds * time.TimestampFrequency);
        _relays = new RelayOutbox(sleeve, Counters, SendBatchSize, SegmentBufferCount);
        _outbox = new Outbox(vxlan, sleeve, Counters, SendBatchSize, SegmentBufferCount);
        _vxlanWriter = new BridgeWriter(tap, Counters.VxlanDelivery, BridgeBatchSize, CoalesceBufferCount);
        _sleeveWriter = new BridgeWriter(tap, Counters.SleeveDelivery, BridgeBatchSize, CoalesceBufferCount);
        _chunks = tap.SupportsOffloads ? new ChunkAssembler() : null;
    }

    public ForwarderCounters Counters { get; } = new();

    public MacTable Macs => _macs;

    public bool TakesChunks => _chunks is not null;

    public IReadOnlyList<DataPeer> Peers => _plan.Neighbours;

    /// <summary>The plan the data threads follow now.</summary>
    public ForwardingPlan Plan => _plan;

    /// <summary>A snapshot for <c>/report</c>.</summary>
    public DataPlaneReport Report() => new(
        [.. _plan.AllRoutes().Select(r => new DataPlaneRoute(r.Destination.ToString(), r.Route.Hop.Display, r.Route.Encapsulation.Name))],
        _macs.Count,
        Counters.Snapshot());

    public void Start()
    {
        StartReaders();
        _tapThread = new Thread(TapLoop) { Name = "bridge→peers", IsBackground = true };
        _vxlanThread = new Thread(VxlanLoop) { Name = "vxlan→bridge", IsBackground = true };
        _sleeveThread = new Thread(SleeveLoop) { Name = "sleeve→bridge", IsBackground = true };
        _tapThread.Start();
        _vxlanThread.Start();
        _sleeveThread.Start();
    }

    public void AddPeer(DataPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_planWriteLock)
        {
            bool replaced = _peers.Any(p => p.Name == peer.Name);
            _peers = [.. _peers.Where(p => p.Name != peer.Name), peer];
            Replan();
            if (replaced)
            {
                _macs.Forget(peer.Name); // a new connection to it: what we knew may be stale
            }
        }
        RouterLog.DataPeerAdded(_log, peer.Display, peer.EndPoint);
    }

    public void RemovePeer(PeerName name)
    {
        lock (_planWriteLock)
        {
            DataPeer? old = Array.Find(_peers, p => p.Name == name);
            if (old is null)
            {
                return;
            }
            _peers = [.. _peers.Where(p => p.Name != name)];
            Replan();
            int forgotten = _macs.Forget(name);
            RouterLog.DataPeerRemoved(_log, old.Display, forgotten);
        }
    }

    public void SetRoutes(RouteTable routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        if (routes.Self != _self)
        {
            throw new ArgumentException($"routes of {routes.Self}, not of this peer {_self}", nameof(routes));
        }
        lock (_planWriteLock)
        {
            RouteTable? before = _routes;
            _routes = routes;
            Replan();
            if (before is not null)
            {
                ForgetUnreachable(before, routes);
            }
        }
    }

    /// <summary>
    /// Forgets the MACs of peers the new routes no longer reach (and that are not neighbours):
    /// frames for them flood again instead of being dropped for want of a route until expiry.
    /// </summary>
    private void ForgetUnreachable(RouteTable before, RouteTable after)
    {
        foreach (PeerName peer in before.Reachable)
        {
            if (!after.TryGetNextHop(peer, out _) && !_plan.TryGetRoute(peer, out _))
            {
                _macs.Forget(peer);
            }
        }
    }

    private void Replan() => _plan = ForwardingPlan.Build(_self, _peers, _routes);

    /// <summary>Stops the threads and waits for them; the devices are the caller's to dispose. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        ReleaseReaders();
        _tapThread?.Join();
        _vxlanThread?.Join();
        _sleeveThread?.Join();
        DisposeReaders();
        _stop.Dispose();
    }

    /// <summary>A data thread's body: <paramref name="iteration"/> until the forwarder stops; a failure is logged and ends the thread.</summary>
    private void RunUntilStopped(Action iteration)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                iteration();
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is ObjectDisposedException or IOException)
        {
            // Shutting down: a device went away under a blocking call.
        }
        catch (Exception e)
        {
            RouterLog.DataPlaneThreadFailed(_log, e, Thread.CurrentThread.Name ?? "");
            throw;
        }
    }

    /// <summary>The size to split a received slot at: its GRO segment size, or the whole slot (at least 1) when it is one datagram.</summary>
    private static int SegmentSize(PacketBatch datagrams, int slot)
    {
        int length = datagrams.Lengths[slot];
        int segment = datagrams.SegmentSizes[slot];
        return segment <= 0 || segment > length ? Math.Max(length, 1) : segment;
    }
}
