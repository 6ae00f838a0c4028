using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane.Kernel;

/// <summary>
/// The kernel fast path's own thread (docs/dataplane.md, "The kernel fast path"): it reads the probes
/// that peers' kernels deliver to our bridge and hands them to the <see cref="Forwarder"/>, whose
/// path health judges them with the sleeve's heartbeats; and once a second it makes the forwarding
/// entries match the forwarder's view (<see cref="KernelFdbKeeper"/>): every MAC the router learned
/// behind a neighbour on the <see cref="NeighbourPath.Kernel"/> path whose path is healthy is pinned
/// to the VXLAN port, so the bridge hands those frames to the kernel and the router never sees them.
/// Everything else (floods, MACs not learned yet, neighbours on other paths) still reaches the
/// router through the TAP, which is isolated from the VXLAN port: a frame takes one way, never both.
/// </summary>
public sealed class KernelPath : IDisposable
{
    /// <summary>
    /// How long entries outlive the reason for them, unless the path was judged bad or the peer
    /// became reachable through another: longer than Kubernetes takes to replace a router's pod
    /// (a minute or two with kubelet 1.20), so that its pods' frames flow on meanwhile. A peer
    /// gone for good leaves only entries for MACs nobody uses, that long.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan s_passInterval = TimeSpan.FromSeconds(1);
    private const int ReceiveTimeoutMilliseconds = 100;

    private readonly Forwarder _forwarder;
    private readonly IFramePort _probesIn;
    private readonly KernelFdbKeeper _keeper;
    private readonly Action<IReadOnlyCollection<IPAddress>>? _admitSenders;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<DataPeer, long> _firstSeen = []; // connections, for their first verdict
    private readonly Dictionary<IPAddress, PeerName> _hosts = [];  // kernel-path peers seen, by host
    private HashSet<IPAddress> _admitted = [];
    private bool _refusalsLogged;
    private bool _passFailing;
    private Thread? _thread;
    private volatile KernelPathReport _report = new(0, 0, 0, 0, 0);

    /// <param name="probesIn">A packet socket on the bridge for <see cref="ProbeFrame.EtherType"/>.</param>
    /// <param name="admitSenders">Told the hosts the VXLAN port must admit whenever they change (the nft
    /// filter); null when nothing filters.</param>
    public KernelPath(Forwarder forwarder, IFramePort probesIn, KernelFdbKeeper keeper, Action<IReadOnlyCollection<IPAddress>>? admitSenders,
        TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(probesIn);
        ArgumentNullException.ThrowIfNull(keeper);
        ArgumentNullException.ThrowIfNull(time);
        _forwarder = forwarder;
        _probesIn = probesIn;
        _keeper = keeper;
        _admitSenders = admitSenders;
        _time = time;
        _log = log;
    }

    /// <summary>The latest pass's figures, for the report.</summary>
    public KernelPathReport Report => _report;

    /// <summary>Whether frames to <paramref name="peer"/>'s pods go by the kernel now: it is on the
    /// kernel path and its path is healthy.</summary>
    public static bool Carries(DataPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.Path == NeighbourPath.Kernel && Volatile.Read(ref peer.Health.LastMissing) == 0;
    }

    public void Start()
    {
        _thread = new Thread(Run) { Name = "kernel path", IsBackground = true };
        _thread.Start();
    }

    private void Run()
    {
        byte[] buffer = new byte[ProbeFrame.SizeBytes + 64];
        long nextPass = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int length = _probesIn.Receive(buffer, ReceiveTimeoutMilliseconds);
                long now = _time.GetTimestamp();
                if (length > 0)
                {
                    _forwarder.ReceiveProbe(buffer.AsSpan(0, length), now);
                }
                if (now >= nextPass)
                {
                    Pass(now);
                    nextPass = now + _forwarder.Ticks(s_passInterval);
                }
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is ObjectDisposedException or IOException)
        {
            // Shutting down: the socket went away under a receive.
        }
        catch (Exception e)
        {
            RouterLog.DataPlaneThreadFailed(_log, e, "kernel path");
            throw;
        }
    }

    /// <summary>One pass: what to pin (and what to withdraw at once) from the forwarder's plan and
    /// MACs, applied by the keeper; the filter told of new senders.</summary>
    internal void Pass(long now)
    {
        var wanted = new List<KernelFdbKeeper.Want>();
        var withdrawn = new HashSet<IPAddress>();
        var carried = new Dictionary<PeerName, IPAddress>();
        long probeWindow = _forwarder.Ticks(Forwarder.HealthTimeout);
        var current = new HashSet<DataPeer>();
        foreach (DataPeer peer in _forwarder.Plan.Neighbours)
        {
            if (peer.Path != NeighbourPath.Kernel)
            {
                continue;
            }
            current.Add(peer);
            IPAddress host = peer.EndPoint.Address;
            _hosts[host] = peer.Name;
            wanted.Add(new KernelFdbKeeper.Want(peer.BridgeMac, host, Pinned: false)); // where our probes go
            if (Carries(peer))
            {
                carried[peer.Name] = host;
            }
            else if (now - _firstSeen.GetValueOrDefault(peer, now) >= probeWindow)
            {
                withdrawn.Add(host); // judged bad, not merely new: its pods' frames go by the router now
            }
            _firstSeen.TryAdd(peer, now);
        }
        foreach (DataPeer gone in _firstSeen.Keys.Where(p => !current.Contains(p)).ToArray())
        {
            _firstSeen.Remove(gone);
        }
        foreach ((IPAddress host, PeerName name) in _hosts)
        {
            // Its connection gone, but the peer reached through another: that way works, the
            // kernel's straight one may not (a restart is no reason for a relay to appear).
            if (!carried.ContainsKey(name) && !current.Any(p => p.Name == name) && _forwarder.Plan.TryGetRoute(name, out _))
            {
                withdrawn.Add(host);
            }
        }
        foreach ((ulong mac, PeerName origin) in _forwarder.Macs.Snapshot())
        {
            if (carried.TryGetValue(origin, out IPAddress? host))
            {
                wanted.Add(new KernelFdbKeeper.Want(mac, host, Pinned: true));
            }
        }
        long failedBefore = _keeper.Failed;
        try
        {
            _keeper.Apply(wanted, withdrawn, now);
            HashSet<IPAddress> admitted = [.. _keeper.Destinations];
            if (_admitSenders is not null && !admitted.SetEquals(_admitted))
            {
                _admitSenders(admitted);
                _admitted = admitted;
            }
            _passFailing = false;
        }
        catch (Exception e) when (e is LinuxError or Weave.Linux.Nftables.NftablesException)
        {
            if (!_passFailing)
            {
                RouterLog.FastDpPassFailed(_log, e.Message);
                _passFailing = true;
            }
        }
        if (_keeper.Failed > failedBefore && !_refusalsLogged)
        {
            RouterLog.FastDpEntriesRefused(_log, _keeper.Failed - failedBefore, _keeper.LastFailure ?? "");
            _refusalsLogged = true; // once: the report counts the rest
        }
        _report = new KernelPathReport(carried.Count, _keeper.Pinned, _keeper.Added, _keeper.Deleted, _keeper.Failed);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
    }
}

/// <summary>The kernel path in <c>weave report</c>: neighbours whose pods it carries now, MACs
/// pinned to it, and the forwarding-entry changes made and refused since the start.</summary>
public sealed record KernelPathReport(int Peers, int PinnedMacs, long EntriesAdded, long EntriesDeleted, long EntriesRefused);
