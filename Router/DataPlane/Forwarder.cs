using Microsoft.Extensions.Logging;
using System.Net;
using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// Carries Ethernet frames between the bridge (through the TAP device) and peers (VXLAN over UDP).
/// <code>
///   TAP thread:  read frames → drop if the source MAC lives behind a peer (we injected it)
///                → VXLAN header written in the headroom → known unicast: its peer;
///                  broadcast, multicast, unknown unicast: every peer → send batch
///   UDP thread:  receive datagrams → valid VXLAN with our VNI from a known peer's address
///                → learn source MAC → that peer → write frames to the TAP
/// </code>
/// Two dedicated threads with blocking calls and preallocated batches: nothing is allocated per
/// frame. The peer set is an immutable array swapped by the control plane.
/// </summary>
public sealed class Forwarder : IDataPlane, IDisposable
{
    /// <summary>How long a blocking read waits before checking for shutdown.</summary>
    private const int PollMilliseconds = 200;

    /// <summary>Datagrams gathered before a send (a batch of frames times the flood fan-out).</summary>
    private const int SendBatchSize = 64;

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

    private void TapLoop()
    {
        var frames = new PacketBatch(_tap.BatchSize, allocateBuffers: true);
        var sends = new PacketBatch(SendBatchSize, allocateBuffers: false);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                frames.Count = _tap.Read(frames, PollMilliseconds);
                ForwardFromBridge(frames, sends);
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is ObjectDisposedException or IOException)
        {
            // Shutting down: the device went away under a blocking read.
        }
        catch (Exception e)
        {
            RouterLog.DataPlaneThreadFailed(_log, e, Thread.CurrentThread.Name ?? "");
            throw;
        }
    }

    /// <summary>
    /// One batch of the TAP thread: the <see cref="PacketBatch.Count"/> frames of
    /// <paramref name="frames"/> (each at the headroom of its buffer) go to peers through
    /// <paramref name="sends"/>. Returns the datagrams handed to the transport. Allocation-free.
    /// </summary>
    internal int ForwardFromBridge(PacketBatch frames, PacketBatch sends)
    {
        DataPeer[] peers = _peers;
        ForwarderCounters counters = Counters;
        long sentBefore = counters.DatagramsSent;
        sends.Count = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            counters.FramesFromBridge++;
            ReadOnlySpan<byte> frame = frames.Packet(i);
            if (frame.Length < EthernetFrame.HeaderSizeBytes)
            {
                counters.DropsTooShort++;
                continue;
            }
            if (_macs.Lookup(EthernetFrame.Source(frame)) is not null)
            {
                counters.DropsLooped++;
                continue;
            }
            byte[] buffer = frames.Buffers[i];
            int start = frames.Offsets[i] - VxlanHeader.SizeBytes;
            int length = frame.Length + VxlanHeader.SizeBytes;
            VxlanHeader.Write(buffer.AsSpan(start), _vni);

            ulong destination = EthernetFrame.Destination(frame);
            DataPeer? owner = EthernetFrame.IsGroup(destination) ? null : _macs.Lookup(destination);
            if (owner is not null)
            {
                Queue(sends, buffer, start, length, owner);
            }
            else if (peers.Length == 0)
            {
                counters.DropsNoPeers++;
            }
            else
            {
                foreach (DataPeer peer in peers)
                {
                    Queue(sends, buffer, start, length, peer);
                }
            }
        }
        Flush(sends);
        return (int)(counters.DatagramsSent - sentBefore);
    }

    private void Queue(PacketBatch sends, byte[] buffer, int offset, int length, DataPeer peer)
    {
        if (sends.Count == sends.Capacity)
        {
            Flush(sends);
        }
        int slot = sends.Count++;
        sends.Set(slot, buffer, offset, length);
        sends.Addresses[slot] = peer.Address;
    }

    private void Flush(PacketBatch sends)
    {
        if (sends.Count == 0)
        {
            return;
        }
        int sent = _udp.Send(sends);
        Counters.DatagramsSent += sent;
        Counters.SendFailures += sends.Count - sent;
        sends.Count = 0;
    }

    private void UdpLoop()
    {
        var datagrams = new PacketBatch(_udp.BatchSize, allocateBuffers: true);
        var frames = new PacketBatch(datagrams.Capacity, allocateBuffers: false);
        // Receive so that the inner frame lands at the headroom, as frames read from the TAP do.
        Array.Fill(datagrams.Offsets, PacketBatch.Headroom - VxlanHeader.SizeBytes);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                datagrams.Count = _udp.Receive(datagrams, PollMilliseconds);
                if (datagrams.Count == 0)
                {
                    continue;
                }
                ForwardFromPeers(datagrams, frames);
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is ObjectDisposedException or IOException)
        {
            // Shutting down.
        }
        catch (Exception e)
        {
            RouterLog.DataPlaneThreadFailed(_log, e, Thread.CurrentThread.Name ?? "");
            throw;
        }
    }

    /// <summary>
    /// One batch of the UDP thread: the <see cref="PacketBatch.Count"/> datagrams of
    /// <paramref name="datagrams"/> are checked, their senders' MACs learned, and their frames
    /// written to the TAP through <paramref name="frames"/>. Returns the frames the TAP accepted.
    /// Allocation-free once every source MAC has been learned.
    /// </summary>
    internal int ForwardFromPeers(PacketBatch datagrams, PacketBatch frames)
    {
        DataPeer[] peers = _peers;
        ForwarderCounters counters = Counters;
        long now = _time.GetTimestamp();
        frames.Count = 0;
        for (int i = 0; i < datagrams.Count; i++)
        {
            counters.DatagramsReceived++;
            ReadOnlySpan<byte> datagram = datagrams.Packet(i);
            if (!VxlanHeader.TryRead(datagram, out int vni) || vni != _vni ||
                datagram.Length < VxlanHeader.SizeBytes + EthernetFrame.HeaderSizeBytes)
            {
                counters.DropsBadHeader++;
                continue;
            }
            DataPeer? sender = FindSender(peers, datagrams.Addresses[i]);
            if (sender is null)
            {
                counters.DropsUnknownSender++;
                continue;
            }
            ReadOnlySpan<byte> frame = datagram[VxlanHeader.SizeBytes..];
            _macs.Learn(EthernetFrame.Source(frame), sender, now);
            frames.Set(frames.Count++, datagrams.Buffers[i], datagrams.Offsets[i] + VxlanHeader.SizeBytes, frame.Length);
        }
        if (frames.Count == 0)
        {
            return 0;
        }
        int written = _tap.Write(frames);
        counters.FramesToBridge += written;
        counters.DropsBridgeRefused += frames.Count - written;
        return written;
    }

    private static DataPeer? FindSender(DataPeer[] peers, SocketAddress source)
    {
        foreach (DataPeer peer in peers)
        {
            if (peer.Address.Equals(source))
            {
                return peer;
            }
        }
        return null;
    }
}
