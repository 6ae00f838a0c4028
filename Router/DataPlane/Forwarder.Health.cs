using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// Path health: heartbeats to every neighbour on both ports (only the sleeve's, sealed, to a
/// neighbour whose data is sealed; on the kernel path a <see cref="ProbeFrame"/> through both
/// kernels stands for the VXLAN one), sent by the TAP thread (the only
/// sender of our own traffic), every 0.5 s until the path is healthy and every 2 s after;
/// received by the VXLAN and sleeve threads. A path is healthy when within 10 s we heard the peer
/// on both ports (or the sleeve's alone when sealed) and it says it heard us on them. Slow once
/// healthy, with a timeout of five intervals: a full mesh has a path per neighbour, so their cost
/// grows with the mesh, and every change of a verdict is gossiped to all peers, so a timeout that
/// a loaded machine reaches by running a router's threads late turns load into churn. Changes of the verdict go to
/// <see cref="DataPathHealthChanged"/>, which the mesh turns into an established or pending
/// connection, so data routes avoid a link whose UDP does not work.
/// </summary>
public sealed partial class Forwarder
{
    public static readonly TimeSpan HeartbeatIntervalPending = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan HeartbeatIntervalHealthy = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long we send a neighbour segments instead of chunks after it said our chunks arrive
    /// incomplete. A chunked super-frame is lost whole when one of its ~47 datagrams is: on a link
    /// losing 1 % of datagrams, a third of them. Segments lose only what was lost; after the pause
    /// we try chunks again (on a link that still loses, about one heartbeat of them per pause).
    /// </summary>
    public static readonly TimeSpan ChunkPause = TimeSpan.FromSeconds(60);

    /// <summary>The share of a neighbour's chunked frames (abandoned ÷ all, since our last heartbeat to it) above which we say <see cref="HeartbeatBody.LosingChunks"/>.</summary>
    private const int LosingChunksPercent = 10;

    /// <summary>
    /// A neighbour's data path became healthy, or not (with the reason). Raised on the TAP thread
    /// only when the verdict changes: handlers must be quick and thread-safe (post elsewhere).
    /// </summary>
    public event Action<DataPeer, bool, string>? DataPathHealthChanged;

    internal long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>
    /// Sends the heartbeats that are due and reports changed verdicts. Returns the heartbeats sent (one per port). Allocates
    /// only when a verdict changes (the reason text).
    /// </summary>
    internal int SendHeartbeats(long now)
    {
        DataPeer[] neighbours = _plan.Neighbours;
        long timeout = Ticks(HealthTimeout);
        int sent = 0;
        foreach (DataPeer peer in neighbours)
        {
            PathHealth health = peer.Health;
            int missing = health.Missing(now, timeout);
            if (missing != health.LastMissing)
            {
                bool wasHealthy = health.LastMissing == 0;
                health.LastMissing = missing;
                if ((missing == 0) != wasHealthy)
                {
                    DataPathHealthChanged?.Invoke(peer, missing == 0, missing == 0 ? "" : PathHealth.Describe(missing, peer));
                }
                else if (missing != 0)
                {
                    DataPathHealthChanged?.Invoke(peer, false, PathHealth.Describe(missing, peer)); // a new reason
                }
            }
            if (now < health.NextHeartbeatDue)
            {
                continue;
            }
            health.NextHeartbeatDue = now + Ticks(missing == 0 ? HeartbeatIntervalHealthy : HeartbeatIntervalPending);
            byte flags = (byte)(health.HeardFlags(now, timeout) | ChunkLossFlag(peer));
            byte[] sleeve = health.SleeveDatagram;
            new SleeveHeader(SleeveKind.Heartbeat, _self, peer.Name, peer.Seals).Write(sleeve);
            HeartbeatBody.Write(sleeve.AsSpan(SleeveHeader.PayloadOffset(peer.Seals)), _self, peer.Name, flags);
            if (!TrySealOne(sleeve, 0, HeartbeatBody.SizeBytes, peer, out int sleeveLength))
            {
                Counters.DropsSealFailed++;
                continue;
            }
            _bridge.Outbox.QueueSleeve(sleeve, 0, sleeveLength, 0, peer.SleeveAddress);
            sent++;
            if (peer.Path == NeighbourPath.Sleeve)
            {
                continue; // the sleeve port alone
            }
            if (peer.Path == NeighbourPath.Kernel)
            {
                sent += SendProbe(peer, flags);
                continue;
            }
            byte[] vxlan = health.VxlanDatagram;
            VxlanHeader.Write(vxlan, _vni);
            vxlan.AsSpan(VxlanHeader.SizeBytes, EthernetFrame.HeaderSizeBytes).Clear();
            HeartbeatBody.Write(vxlan.AsSpan(VxlanHeader.SizeBytes + EthernetFrame.HeaderSizeBytes), _self, peer.Name, flags);
            _bridge.Outbox.QueueVxlan(vxlan, 0, vxlan.Length, 0, peer.Address);
            sent++;
        }
        _bridge.Outbox.Flush();
        Counters.HeartbeatsSent += sent;
        return sent;
    }

    /// <summary>Our probe to a neighbour on the kernel path, into our VXLAN device; 1 when it went.</summary>
    private int SendProbe(DataPeer peer, byte flags)
    {
        if (ProbePort is not { } port)
        {
            Counters.ProbeSendFailures++; // a kernel-path neighbour, but no kernel path here: a wiring mistake, counted
            return 0;
        }
        byte[] frame = peer.Health.ProbeFrame;
        ProbeFrame.Write(frame, peer.BridgeMac, _bridgeMac, _self, peer.Name, flags, peer.ConnectionUid);
        try
        {
            port.Send(frame);
            return 1;
        }
        catch (LinuxError)
        {
            Counters.ProbeSendFailures++;
            return 0;
        }
    }

    /// <summary>
    /// A frame the kernel path delivered to our bridge with the probe EtherType (the thread reading
    /// them): it must be a probe from a neighbour on the kernel path, for us, with that
    /// connection's uid. Returns false, counted, otherwise: a pod can send our bridge anything.
    /// </summary>
    internal bool ReceiveProbe(ReadOnlySpan<byte> frame, long now)
    {
        if (ProbeFrame.TryRead(frame, out ReadOnlySpan<byte> body, out ulong uid) &&
            HeartbeatBody.TryRead(body, out PeerName from, out _, out _) &&
            _plan.TryGetNeighbour(from, out DataPeer peer) &&
            peer.Path == NeighbourPath.Kernel && peer.ConnectionUid == uid &&
            ReceiveHeartbeat(peer, body, vxlan: true, now))
        {
            Interlocked.Increment(ref Counters.ProbesReceived);
            return true;
        }
        Interlocked.Increment(ref Counters.DropsBadProbe);
        return false;
    }

    /// <summary>
    /// A heartbeat body from <paramref name="sender"/> on one of its ports: it must name the
    /// sender and us. Returns false (the caller counts it as bad) otherwise.
    /// </summary>
    internal bool ReceiveHeartbeat(DataPeer sender, ReadOnlySpan<byte> body, bool vxlan, long now)
    {
        if (!HeartbeatBody.TryRead(body, out PeerName from, out PeerName to, out byte flags) || from != sender.Name || to != _self)
        {
            return false;
        }
        sender.Health.Heard(vxlan, flags, now);
        if ((flags & HeartbeatBody.LosingChunks) != 0)
        {
            Volatile.Write(ref sender.Chunks.PausedUntil, now + Ticks(ChunkPause));
            Interlocked.Increment(ref Counters.ChunkPauses);
        }
        return true;
    }

    /// <summary>
    /// <see cref="HeartbeatBody.LosingChunks"/> when more than <see cref="LosingChunksPercent"/> % of
    /// the chunked frames <paramref name="peer"/> sent us since our last heartbeat to it were
    /// abandoned for a missing piece (TAP thread).
    /// </summary>
    private static byte ChunkLossFlag(DataPeer peer)
    {
        if (Volatile.Read(ref peer.Chunks.Partial) is not PartialFrame partial)
        {
            return 0;
        }
        long completed = Volatile.Read(ref partial.Completed);
        long abandoned = Volatile.Read(ref partial.Abandoned);
        long newCompleted = completed - peer.Chunks.CompletedSeen;
        long newAbandoned = abandoned - peer.Chunks.AbandonedSeen;
        peer.Chunks.CompletedSeen = completed;
        peer.Chunks.AbandonedSeen = abandoned;
        return newAbandoned * 100 > (newCompleted + newAbandoned) * LosingChunksPercent ? HeartbeatBody.LosingChunks : (byte)0;
    }
}
