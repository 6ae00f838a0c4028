using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// Carries Ethernet frames between the bridge (through the TAP device) and peers: VXLAN over UDP
/// to neighbours, our sleeve format (<see cref="SleeveHeader"/>) for frames relayed through them.
/// The forwarder holds what the data threads share (the <see cref="ForwardingPlan"/>, swapped whole
/// when neighbours or routes change; the MAC table; the counters) and runs the stages, each of
/// which owns its thread's state (docs/dataplane.md has the pipeline in packet order):
/// <code>
///   TAP thread:    BridgeReader (classify, route, wrap by the route's Encapsulation) → Outbox
///                  → sendmmsg per socket; heartbeats (Forwarder.Health.cs)
///   VXLAN socket:  VxlanReceiver (check, learn the source MAC) → TapWriter → TAP
///   sleeve socket: SleeveReceiver (check, open, learn; relay through RelayOutbox, put chunks
///                  together) → TapWriter → TAP
/// </code>
/// Nothing is allocated per frame. With a <see cref="Readiness"/>, the TAP thread also serves both
/// sockets (one wakeup per frame instead of two), and hands a socket to its own thread only while
/// traffic is bulk both ways (Forwarder.Handoff.cs). Two threads send on the sleeve socket (the TAP
/// thread and the sleeve path's relays), serialised per batch by a lock in UdpBatchSocket;
/// three write to the TAP (the two receive paths, and the TAP thread's ICMP answers), which
/// TapDevice allows.
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

    private readonly PeerName _self;
    private readonly ITapDevice _tap;
    private readonly int _vni;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly MacTable _macs = new();
    private readonly int _mtu = OverlayMtu.Max;
    private readonly long _macIdleTicks;
    private readonly ulong _bridgeMac;
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
        _vni = vni;
        _time = time;
        _log = log;
        _plan = ForwardingPlan.Empty(self);
        _macIdleTicks = Ticks(MacIdleTimeout);
        _bridgeMac = BridgeMac.Of(self);
        _bridge = new BridgeReader(this, tap, vxlan, sleeve, SendBatchSize, SegmentBufferCount);
        _vxlanReader = new VxlanReceiver(this, vxlan, tap, BridgeBatchSize, CoalesceBufferCount);
        _sleeveReader = new SleeveReceiver(this, sleeve, tap, BridgeBatchSize, CoalesceBufferCount, SendBatchSize, SegmentBufferCount);
    }

    /// <summary>Our peer name, the source of the frames we capture.</summary>
    internal PeerName Self => _self;

    internal int Vni => _vni;

    internal TimeProvider Time => _time;

    internal ILogger Log => _log;

    /// <summary>A batch from the bridge, as the TAP thread forwards one (a test's entry).</summary>
    internal int ForwardFromBridge(PacketBatch frames) => _bridge.Forward(frames);

    /// <summary>A batch from the VXLAN socket, as the thread holding it forwards one (a test's entry).</summary>
    internal int ForwardFromVxlan(PacketBatch datagrams) => _vxlanReader.Forward(datagrams);

    /// <summary>A batch from the sleeve socket, as the thread holding it forwards one (a test's entry).</summary>
    internal int ForwardFromSleeve(PacketBatch datagrams) => _sleeveReader.Forward(datagrams);

    /// <summary>The overlay MTU frames from the bridge are held to (the bridge's MTU); without it, only
    /// what one datagram cannot carry is too big.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside <see cref="OverlayMtu.Min"/> to <see cref="OverlayMtu.Max"/>.</exception>
    public int Mtu
    {
        get => _mtu;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, OverlayMtu.Min);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, OverlayMtu.Max);
            _mtu = value;
        }
    }

    public ForwarderCounters Counters { get; } = new();

    /// <summary>Our VXLAN device, when the kernel carries frames to neighbours on the
    /// <see cref="NeighbourPath.Kernel"/> path: our probes to them go in there. Null without.</summary>
    public IFramePort? ProbePort { get; init; }

    public MacTable Macs => _macs;

    public bool TakesChunks => _sleeveReader.TakesChunks;

    public bool UsesKernelPath => ProbePort is not null;

    public (string Overlay, string? NotFastReason) OverlayOf(DataPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.Path switch
        {
            NeighbourPath.Vxlan => ("vxlan", null),
            NeighbourPath.Kernel when Kernel.KernelPath.Carries(peer) => ("fastdp", null),
            NeighbourPath.Kernel => ("sleeve", "its kernel path is not proven both ways yet"),
            _ when !UsesKernelPath => ("sleeve", null),
            _ when peer.Seals => ("sleeve", null), // "encrypted" says why
            _ => ("sleeve", "it runs without the fast path, or on another data port"),
        };
    }

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
        _vxlanThread = new Thread(() => SocketLoop(_vxlanReader)) { Name = "vxlan→bridge", IsBackground = true };
        _sleeveThread = new Thread(() => SocketLoop(_sleeveReader)) { Name = "sleeve→bridge", IsBackground = true };
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

    /// <summary>
    /// Learns that <paramref name="mac"/> lives behind <paramref name="origin"/>; a MAC that moved
    /// from another peer is counted (by the thread that learned it) and logged at debug level.
    /// </summary>
    internal void LearnSource(ulong mac, PeerName origin, long now, bool sleeveThread = false)
    {
        if (_macs.Learn(mac, origin, now))
        {
            if (sleeveThread)
            {
                Counters.SleeveMacMoves++;
            }
            else
            {
                Counters.MacMoves++;
            }
            if (_log.IsEnabled(LogLevel.Debug))
            {
                RouterLog.MacMoved(_log, EthernetFrame.Format(mac), origin.ToString());
            }
        }
    }

    /// <summary>Forgets MACs idle longer than <see cref="MacIdleTimeout"/> (one enumerator per sweep).</summary>
    internal int ExpireIdleMacs(long now)
    {
        int expired = _macs.Expire(now - _macIdleTicks);
        Counters.MacsExpired += expired;
        return expired;
    }
}
