using Microsoft.Extensions.Logging;
using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>The VXLAN thread: datagrams from neighbours to the bridge; it also expires idle MACs.</summary>
public sealed partial class Forwarder
{
    // Owned by the thread holding the VXLAN socket (or a test calling ForwardFromVxlan).
    private readonly BridgeWriter _vxlanWriter;

    private void VxlanLoop() => SocketLoop(_vxlanReader!, ReceiveVxlan);

    /// <summary>
    /// Expires idle MACs when due, receives one batch from the VXLAN socket (waiting up to
    /// <paramref name="timeoutMilliseconds"/>) and forwards it; returns its slots, 0 when nothing
    /// came. Called by the thread holding the socket (Forwarder.Handoff.cs).
    /// </summary>
    private int ReceiveVxlan(int timeoutMilliseconds)
    {
        SocketReader reader = _vxlanReader!;
        ExpireIdleMacsWhenDue();
        reader.Datagrams.Count = _vxlan.Receive(reader.Datagrams, timeoutMilliseconds);
        if (reader.Datagrams.Count > 0)
        {
            ForwardFromVxlan(reader.Datagrams);
        }
        return reader.Datagrams.Count;
    }

    /// <summary>
    /// One batch of the VXLAN thread: the <see cref="PacketBatch.Count"/> slots of
    /// <paramref name="datagrams"/> (each a datagram or a GRO run of them) are split, checked, their
    /// senders' MACs learned, and the frames delivered to the bridge (<see cref="BridgeWriter"/>).
    /// Returns the frames the TAP accepted (a super-frame counts once). Allocation-free once every
    /// source MAC has been learned.
    /// </summary>
    internal int ForwardFromVxlan(PacketBatch datagrams)
    {
        ForwardingPlan plan = _plan;
        ForwarderCounters counters = Counters;
        long now = _time.GetTimestamp();
        long writtenBefore = _vxlanWriter.Counters.Written;
        for (int i = 0; i < datagrams.Count; i++)
        {
            byte[] buffer = datagrams.Buffers[i];
            int offset = datagrams.Offsets[i];
            int length = datagrams.Lengths[i];
            int segment = SegmentSize(datagrams, i);
            // A GRO run comes from one source.
            DataPeer? sender = plan.FindByVxlanAddress(datagrams.Endpoints[i]);
            for (int at = 0; at < Math.Max(length, 1); at += segment)
            {
                counters.DatagramsReceived++;
                ReadOnlySpan<byte> datagram = buffer.AsSpan(offset + at, Math.Min(segment, length - at));
                if (!VxlanHeader.TryRead(datagram, out int vni) || vni != _vni ||
                    datagram.Length < VxlanHeader.SizeBytes + EthernetFrame.HeaderSizeBytes)
                {
                    counters.DropsBadHeader++;
                    continue;
                }
                if (sender is null)
                {
                    counters.DropsUnknownSender++;
                    continue;
                }
                if (sender.Seals)
                {
                    counters.DropsPlaintextRefused++; // its data must come sealed, on the sleeve port
                    continue;
                }
                ReadOnlySpan<byte> frame = datagram[VxlanHeader.SizeBytes..];
                if (HeartbeatBody.IsVxlanHeartbeat(frame))
                {
                    if (ReceiveHeartbeat(sender, frame[EthernetFrame.HeaderSizeBytes..], vxlan: true, now))
                    {
                        counters.HeartbeatsReceived++;
                    }
                    else
                    {
                        counters.DropsBadHeartbeat++;
                    }
                    continue;
                }
                LearnSource(EthernetFrame.Source(frame), sender.Name, now);
                _vxlanWriter.Add(buffer, offset + at + VxlanHeader.SizeBytes, frame.Length);
            }
        }
        _vxlanWriter.Write();
        return (int)(_vxlanWriter.Counters.Written - writtenBefore);
    }

    /// <summary>
    /// Learns that <paramref name="mac"/> lives behind <paramref name="origin"/>; a MAC that moved
    /// from another peer is counted (by the thread that learned it) and logged at debug level.
    /// </summary>
    private void LearnSource(ulong mac, PeerName origin, long now, bool sleeveThread = false)
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

    /// <summary>Every 30 s, forgets idle MACs. Called by the thread holding the VXLAN socket, also
    /// when nothing arrives on it (with a password, nothing ever does).</summary>
    private void ExpireIdleMacsWhenDue()
    {
        long now = _time.GetTimestamp();
        if (now >= _nextMacExpiry)
        {
            ExpireIdleMacs(now);
            _nextMacExpiry = now + Ticks(s_expiryInterval);
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
