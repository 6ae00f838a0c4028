using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The VXLAN path's receive stage: datagrams from neighbours' VXLAN ports, checked, their senders'
/// MACs learned, delivered to the bridge. VXLAN is only ever sent by the peer that captured the
/// frame, so it is never relayed. The path also sweeps idle MACs. Its state (receive batch, bridge
/// writer, sweep time) belongs to the thread holding the VXLAN socket (Forwarder.Handoff.cs).
/// </summary>
internal sealed class VxlanReceiver : SocketReader
{
    /// <summary>How often the thread holding the VXLAN socket looks for idle MAC entries.</summary>
    private static readonly TimeSpan s_expiryInterval = TimeSpan.FromSeconds(30);

    private readonly Forwarder _forwarder;
    private long _nextMacExpiry;

    public VxlanReceiver(Forwarder forwarder, IDatagramTransport socket, ITapDevice tap, int bridgeBatchSize, int coalesceBuffers)
        : base(DataSources.Vxlan, socket, PacketBatch.Headroom - VxlanHeader.SizeBytes)
    {
        _forwarder = forwarder;
        Writer = new TapWriter(tap, forwarder.Counters.VxlanDelivery, bridgeBatchSize, coalesceBuffers);
        _nextMacExpiry = forwarder.Time.GetTimestamp() + forwarder.Ticks(s_expiryInterval);
    }

    public TapWriter Writer { get; }

    /// <summary>Sweeps idle MACs when due, then receives and forwards one batch.</summary>
    public override int Receive(int timeoutMilliseconds)
    {
        ExpireIdleMacsWhenDue();
        return base.Receive(timeoutMilliseconds);
    }

    /// <summary>
    /// One batch of the VXLAN path: the <see cref="PacketBatch.Count"/> slots of
    /// <paramref name="datagrams"/> (each a datagram or a GRO run of them) are split, checked, their
    /// senders' MACs learned, and the frames delivered to the bridge (<see cref="TapWriter"/>).
    /// Returns the frames the TAP accepted (a super-frame counts once). Allocation-free once every
    /// source MAC has been learned.
    /// </summary>
    public override int Forward(PacketBatch datagrams)
    {
        ForwardingPlan plan = _forwarder.Plan;
        ForwarderCounters counters = _forwarder.Counters;
        long now = _forwarder.Time.GetTimestamp();
        long writtenBefore = Writer.Counters.Written;
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
                if (!VxlanHeader.TryRead(datagram, out int vni) || vni != _forwarder.Vni ||
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
                    if (_forwarder.ReceiveHeartbeat(sender, frame[EthernetFrame.HeaderSizeBytes..], vxlan: true, now))
                    {
                        counters.HeartbeatsReceived++;
                    }
                    else
                    {
                        counters.DropsBadHeartbeat++;
                    }
                    continue;
                }
                _forwarder.LearnSource(EthernetFrame.Source(frame), sender.Name, now);
                Writer.Add(buffer, offset + at + VxlanHeader.SizeBytes, frame.Length);
            }
        }
        Writer.Write();
        return (int)(Writer.Counters.Written - writtenBefore);
    }

    /// <summary>Every 30 s, forgets idle MACs. Called by the thread holding the VXLAN socket, also
    /// when nothing arrives on it (with a password, nothing ever does).</summary>
    public void ExpireIdleMacsWhenDue()
    {
        long now = _forwarder.Time.GetTimestamp();
        if (now >= _nextMacExpiry)
        {
            _forwarder.ExpireIdleMacs(now);
            _nextMacExpiry = now + _forwarder.Ticks(s_expiryInterval);
        }
    }
}
