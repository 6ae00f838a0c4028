using Microsoft.Extensions.Logging;
using System.Net;
using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// Carries Ethernet frames between the bridge (through the TAP device) and peers (VXLAN over UDP).
/// <code>
///   TAP thread:  read frames (TCP super-frames of up to 64 KB with offloads) → drop if the source
///                MAC lives behind a peer (we injected it) → drop if above the overlay MTU and not
///                to be fragmented, answering with ICMP (Forwarder.TooBig.cs) → a super-frame is cut into MTU-sized
///                frames, each behind a VXLAN header, back to back: one UDP GSO send; a partial
///                checksum is completed; others get the VXLAN header in their headroom → known
///                unicast: its peer; broadcast, multicast, unknown unicast: every peer → sendmmsg
///   UDP thread:  recvmmsg (GRO runs of datagrams) → each datagram: valid VXLAN with our VNI from a
///                known peer's address → learn source MAC → consecutive TCP segments of one flow
///                coalesced into super-frames (TcpCoalescer) → write frames to the TAP
/// </code>
/// Two dedicated threads with blocking calls and preallocated batches and buffers: nothing is
/// allocated per frame. The peer set is an immutable array swapped by the control plane.
/// The bridge side is in Forwarder.Bridge.cs, the peer side in Forwarder.Peers.cs.
/// </summary>
public sealed partial class Forwarder : IDataPlane, IDisposable
{
    /// <summary>How long a blocking read waits before checking for shutdown.</summary>
    private const int PollMilliseconds = 200;

    /// <summary>Datagrams (or GSO sends) gathered before a send (a batch of frames times the flood fan-out).</summary>
    private const int SendBatchSize = 64;

    /// <summary>Buffers for cut super-frames (one per GSO send) before a send must go out.</summary>
    private const int SegmentBufferCount = 16;

    /// <summary>Frames gathered before a TAP write, and buffers for coalesced super-frames.</summary>
    private const int BridgeBatchSize = 64;
    private const int CoalesceBufferCount = 16;

    private readonly ITapDevice _tap;
    private readonly IDatagramTransport _udp;
    private readonly int _vni;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly MacTable _macs = new();
    private readonly Lock _peersWriteLock = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile DataPeer[] _peers = [];
    private Thread? _tapThread;
    private Thread? _udpThread;
    private int _disposed;

    public Forwarder(ITapDevice tap, IDatagramTransport udp, int vni, TimeProvider time, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vni);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vni, VxlanHeader.MaxVni);
        _tap = tap;
        _udp = udp;
        _vni = vni;
        _time = time;
        _log = log;
        _segmentBuffers = new byte[SegmentBufferCount][];
        for (int i = 0; i < SegmentBufferCount; i++)
        {
            _segmentBuffers[i] = PacketBatch.AllocateBuffer();
        }
        _coalescer = tap.SupportsOffloads ? new TcpCoalescer(CoalesceBufferCount) : null;
    }

    public ForwarderCounters Counters { get; } = new();

    public MacTable Macs => _macs;

    public IReadOnlyList<DataPeer> Peers => _peers;

    public void Start()
    {
        _tapThread = new Thread(TapLoop) { Name = "bridge→peers", IsBackground = true };
        _udpThread = new Thread(UdpLoop) { Name = "peers→bridge", IsBackground = true };
        _tapThread.Start();
        _udpThread.Start();
    }

    public void AddPeer(DataPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_peersWriteLock)
        {
            DataPeer? old = Array.Find(_peers, p => p.Name == peer.Name);
            _peers = [.. _peers.Where(p => p.Name != peer.Name), peer];
            if (old is not null)
            {
                _macs.Forget(old);
            }
        }
        RouterLog.DataPeerAdded(_log, peer.Display, peer.EndPoint);
    }

    public void RemovePeer(PeerName name)
    {
        lock (_peersWriteLock)
        {
            DataPeer? old = Array.Find(_peers, p => p.Name == name);
            if (old is null)
            {
                return;
            }
            _peers = [.. _peers.Where(p => p.Name != name)];
            int forgotten = _macs.Forget(old);
            RouterLog.DataPeerRemoved(_log, old.Display, forgotten);
        }
    }

    /// <summary>Stops both threads and waits for them; the devices are the caller's to dispose. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        _tapThread?.Join();
        _udpThread?.Join();
        _stop.Dispose();
    }
}
