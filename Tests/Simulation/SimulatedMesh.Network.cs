using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;

namespace Weave.Simulation;

/// <summary>The simulated network: dials, messages and closes, each turned into queued events.</summary>
public sealed partial class SimulatedMesh
{
    internal void OnDial(SimulatedPeer peer, int incarnation, PeerAddress address)
    {
        if (!peer.IsAlive || peer.Incarnation != incarnation)
        {
            Violation($"peer {peer.Index}: a stopped node dialled {address}");
            return;
        }
        Counters.Dials++;
        Schedule(_nowTicks + Options.DialDelay.Ticks,
            new SimEvent { Kind = SimEventKind.DialOutcome, Peer = peer, Incarnation = incarnation, Address = address });
    }

    internal void OnSend(SimulatedConnection end, byte tag, ReadOnlyMemory<byte> body)
    {
        if (!end.OwnerIsCurrent)
        {
            Violation($"peer {end.Owner.Index}: a stopped node sent tag {tag} on {end}");
            return;
        }
        if (end.ClosedReported)
        {
            Violation($"peer {end.Owner.Index}: sent tag {tag} on {end} after OnClosed");
            return;
        }
        if (end.Closed)
        {
            return; // closed by the node itself, or the remote's close is on its way: TCP would fail the write
        }
        Counters.Record(end.Owner.Index, tag, body.Length);
        if (tag is not ((byte)FrameTag.Heartbeat or (byte)FrameTag.TopologyDigest or (byte)FrameTag.Gossip))
        {
            MarkActivity();
        }
        if (end.Link.Cut || Chance(Options.LossRate))
        {
            Counters.Dropped++;
            return;
        }
        byte[] copy = body.ToArray();
        long at = ArrivalTime(end);
        Schedule(at, new SimEvent { Kind = SimEventKind.Deliver, End = end.Other, Tag = tag, Body = copy });
        if (Chance(Options.DuplicationRate))
        {
            Counters.Duplicated++;
            long again = Options.Fifo ? ArrivalTime(end) : at + RandomTicks(Options.ReorderJitter);
            Schedule(again, new SimEvent { Kind = SimEventKind.Deliver, End = end.Other, Tag = tag, Body = copy });
        }
    }

    internal void OnCloseRequested(SimulatedConnection end, string reason)
    {
        if (!end.OwnerIsCurrent)
        {
            return; // Stop() of a node we are already discarding, or a late close: nothing left to do
        }
        if (end.Closed)
        {
            return;
        }
        end.Closed = true;
        end.CloseReason = reason;
        end.Owner.OpenEnds.Remove(end);
        MarkActivity();
        // The host reports every end's close, the node's own included: as its own event, never re-entrantly.
        Schedule(_nowTicks, new SimEvent { Kind = SimEventKind.LocalClosed, End = end, Reason = reason });
        if (!end.Link.Cut && !end.Other.Closed)
        {
            // The FIN follows the data sent before it.
            Schedule(ArrivalTime(end), new SimEvent { Kind = SimEventKind.RemoteClosed, End = end.Other, Reason = reason });
        }
    }

    private long ArrivalTime(SimulatedConnection from)
    {
        long at = _nowTicks + Options.Latency.Ticks + RandomTicks(Options.Jitter);
        if (Options.Fifo)
        {
            at = Math.Max(at, from.LastArrivalTicks);
            from.LastArrivalTicks = at;
        }
        else
        {
            at += RandomTicks(Options.ReorderJitter);
        }
        return at;
    }

    private long RandomTicks(TimeSpan upTo) => upTo <= TimeSpan.Zero ? 0 : _network.NextInt64(upTo.Ticks);

    private bool Chance(double probability) => probability > 0 && _network.NextDouble() < probability;

    private void DialOutcome(SimEvent ev)
    {
        SimulatedPeer dialler = ev.Peer!;
        PeerAddress address = ev.Address!;
        if (!dialler.IsAlive || dialler.Incarnation != ev.Incarnation)
        {
            return;
        }
        string? error = null;
        if (address.Port != Options.Mesh.Port || !_byHost.TryGetValue(address.Host, out SimulatedPeer? target))
        {
            error = "connect: no route to host";
            target = null;
        }
        else if (!target.IsAlive)
        {
            error = "connect: connection refused";
        }
        else if (!CanReach(dialler, target))
        {
            error = "connect: connection timed out";
        }
        if (Tracing) Trace($"dial {dialler.Index} -> {address}: {error ?? "connected"}");
        if (error is not null)
        {
            Counters.DialFailures++;
            Invoke(dialler, n => n.OnDialFailed(address, error));
            return;
        }
        MarkActivity();
        ulong uid = (ulong)_network.NextInt64() ^ ((ulong)_network.NextInt64() << 1);
        var link = new SimulatedLink();
        var outbound = new SimulatedConnection(this, dialler, dialler.Incarnation, target!.Identity!, true, address.ToString(), uid, link);
        var inbound = new SimulatedConnection(this, target, target.Incarnation, dialler.Identity!, false,
            $"{dialler.Address.Host}:{NextEphemeralPort()}", uid, link);
        outbound.Other = inbound;
        inbound.Other = outbound;
        dialler.OpenEnds.Add(outbound);
        target.OpenEnds.Add(inbound);
        Accept(inbound);
        Accept(outbound);
    }

    private void Accept(SimulatedConnection end)
    {
        if (end.Closed || !end.OwnerIsCurrent)
        {
            return; // the other end refused, and its close already travels here: this end never opened
        }
        bool accepted = false;
        Invoke(end.Owner, n => accepted = n.OnConnected(end));
        end.Accepted = accepted;
        if (!accepted && !end.Closed)
        {
            Violation($"peer {end.Owner.Index}: OnConnected refused {end} without closing it");
            OnCloseRequested(end, "refused");
        }
        if (!accepted && _refusals.Count < MaxRefusalsKept)
        {
            _refusals.Add(new ConnectionRefusal(end.Owner.Index, end.Other.Owner.Index, end.CloseReason ?? "refused", Now));
        }
    }

    private void Deliver(SimEvent ev)
    {
        SimulatedConnection end = ev.End!;
        if (end.Closed || !end.OwnerIsCurrent || end.Link.Cut)
        {
            return;
        }
        if (Tracing) Trace($"deliver {end.Other.Owner.Index} -> {end.Owner.Index} tag {ev.Tag} {ev.Body!.Length} B");
        Invoke(end.Owner, n => n.OnMessage(end, ev.Tag, ev.Body));
    }

    private void RemoteClosed(SimEvent ev)
    {
        SimulatedConnection end = ev.End!;
        if (end.Closed || !end.OwnerIsCurrent)
        {
            return;
        }
        end.Closed = true;
        end.Owner.OpenEnds.Remove(end);
        ReportClosed(end, ev.Reason!);
    }

    private void ReportClosed(SimulatedConnection end, string reason)
    {
        if (end.ClosedReported || !end.OwnerIsCurrent)
        {
            return;
        }
        end.ClosedReported = true;
        MarkActivity();
        if (Tracing) Trace($"closed at {end.Owner.Index}: {end} ({reason})");
        Invoke(end.Owner, n => n.OnClosed(end, reason));
    }
}
