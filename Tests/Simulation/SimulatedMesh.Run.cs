using System.Diagnostics;
using System.Runtime.InteropServices;
using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>
/// The event loop. Time jumps from event to event; a node's timers are one pending
/// <see cref="SimEventKind.Tick"/> at its <see cref="MeshNode.NextDeadline"/>, re-read after every
/// call into the node (a stale tick is recognised by its generation and skipped).
/// </summary>
public sealed partial class SimulatedMesh
{
    /// <summary>Deadlines further out than this are "never" (not queued until they move closer).</summary>
    private static readonly TimeSpan s_horizon = TimeSpan.FromDays(3650);

    private readonly PriorityQueue<SimEvent, EventKey> _queue = new();
    private readonly Queue<string> _traceLines = new();
    private readonly long _startTicks;
    private long _nowTicks;
    private long _sequence;
    private long _nodeTimestamps;
    private long _networkInFlight;
    private long _lastActivityTicks;
    private ulong _traceHash = 14695981039346656037UL;

    /// <summary>
    /// Real (wall-clock) time spent inside the nodes' methods, to tell the simulator's own cost from
    /// the nodes'. Measurement only: nothing in the simulation depends on it.
    /// </summary>
    public TimeSpan TimeInNodes => Stopwatch.GetElapsedTime(0, _nodeTimestamps);

    /// <summary>Events run so far (ticks included, stale ones not).</summary>
    public long EventCount { get; private set; }

    /// <summary>An FNV-1a hash over every event run (time, kind, peers, tag, body): equal for equal runs.</summary>
    public ulong TraceHash => _traceHash;

    /// <summary>The latest trace lines (see <see cref="SimulationOptions.TraceLines"/>).</summary>
    public IReadOnlyCollection<string> RecentTrace => _traceLines;

    /// <summary>When the mesh last did more than anti-entropy (see <see cref="RunToQuiescence"/>).</summary>
    public TimeSpan LastActivity => TimeSpan.FromTicks(_lastActivityTicks);

    /// <summary>Messages, dial outcomes and close notices scheduled but not yet run.</summary>
    public long InFlight => _networkInFlight;

    private bool Tracing => Options.TraceLines > 0;

    /// <summary>Runs every event due within <paramref name="duration"/>, then leaves the clock at its end.</summary>
    public void RunFor(TimeSpan duration)
    {
        long end = _nowTicks + duration.Ticks;
        while (Step(end))
        {
        }
        AdvanceTo(end);
    }

    /// <summary>
    /// Runs until <paramref name="condition"/> holds or <paramref name="limit"/> passes; returns whether it held.
    /// The condition is checked at the start, whenever simulated time has moved on by
    /// <paramref name="checkEvery"/> (default 10 ms) since the last check, and at the limit, so the
    /// clock stops at most that much after the moment it first held.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit, TimeSpan? checkEvery = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        long end = _nowTicks + limit.Ticks;
        long every = Math.Max(1, (checkEvery ?? TimeSpan.FromMilliseconds(10)).Ticks);
        if (condition())
        {
            return true;
        }
        long nextCheck = _nowTicks + every;
        while (_queue.TryPeek(out _, out EventKey key) && key.Ticks <= end)
        {
            if (key.Ticks >= nextCheck)
            {
                if (condition())
                {
                    return true;
                }
                nextCheck = Math.Max(_nowTicks, key.Ticks) + every;
            }
            Step(end);
        }
        AdvanceTo(end);
        return condition();
    }

    /// <summary>
    /// Runs until the mesh is quiescent, or <paramref name="limit"/> passes; returns whether it got there.
    /// <para>
    /// <b>Quiescent</b> means: no network event is in flight (no message, dial outcome or close
    /// notice queued), and for one whole <paramref name="quietWindow"/> (default: the mesh's
    /// <see cref="MeshOptions.GossipInterval"/>, so every node has run at least one periodic round)
    /// nothing but anti-entropy happened: every message sent was a heartbeat, topology digest or
    /// channel gossip (tags 0, 3, 7), no dial succeeded, no connection opened or closed, no peer
    /// was removed, and no operation (join, crash, partition...) was applied. Failed dials
    /// (retries of a dead target) do not count as activity. In other words, what is left of each
    /// node's <see cref="MeshNode.NextDeadline"/> is its periodic gossip and its retry backoff,
    /// and the digests those rounds exchange find nothing to repair. The clock stops at the first
    /// instant where this holds.
    /// </para>
    /// </summary>
    public bool RunToQuiescence(TimeSpan limit, TimeSpan? quietWindow = null)
    {
        long end = _nowTicks + limit.Ticks;
        long window = (quietWindow ?? Options.Mesh.GossipInterval).Ticks;
        while (true)
        {
            if (_networkInFlight == 0 && _nowTicks - _lastActivityTicks >= window)
            {
                return true;
            }
            bool more = _queue.TryPeek(out _, out EventKey key) && key.Ticks <= end;
            if (_networkInFlight == 0 && _lastActivityTicks + window <= Math.Min(end, more ? key.Ticks : end))
            {
                AdvanceTo(_lastActivityTicks + window);
                return true;
            }
            if (!more)
            {
                AdvanceTo(end);
                return false;
            }
            Step(end);
        }
    }

    /// <summary>Whether the mesh has been quiescent (see <see cref="RunToQuiescence"/>) for <paramref name="quietWindow"/> at this instant.</summary>
    public bool IsQuiescent(TimeSpan? quietWindow = null) =>
        _networkInFlight == 0 && _nowTicks - _lastActivityTicks >= (quietWindow ?? Options.Mesh.GossipInterval).Ticks;

    private void AdvanceTo(long ticks)
    {
        if (ticks > _nowTicks)
        {
            _nowTicks = ticks;
            _clock.SetUtcNow(new DateTimeOffset(_startTicks + ticks, TimeSpan.Zero));
        }
    }

    private void Schedule(long ticks, SimEvent ev)
    {
        if (ev.IsNetwork)
        {
            _networkInFlight++;
        }
        _queue.Enqueue(ev, new EventKey(Math.Max(ticks, _nowTicks), _sequence++));
    }

    private void MarkActivity() => _lastActivityTicks = _nowTicks;

    private bool Step(long end)
    {
        if (!_queue.TryPeek(out SimEvent? ev, out EventKey key) || key.Ticks > end)
        {
            return false;
        }
        _queue.Dequeue();
        AdvanceTo(key.Ticks);
        if (ev.IsNetwork)
        {
            _networkInFlight--;
        }
        try
        {
            Execute(ev);
        }
        catch (SimulationException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new SimulationException($"{ev.Kind} at +{FormatElapsed(Elapsed)} threw {e.GetType().Name}: {e.Message}\n{Describe()}", e);
        }
        return true;
    }

    private void Execute(SimEvent ev)
    {
        switch (ev.Kind)
        {
            case SimEventKind.Tick:
                RunTick(ev);
                return;
            case SimEventKind.Deliver:
                Hash(ev, ev.End!.Owner.Index, ev.End.Other.Owner.Index);
                Deliver(ev);
                return;
            case SimEventKind.RemoteClosed:
                Hash(ev, ev.End!.Owner.Index, ev.End.Other.Owner.Index);
                RemoteClosed(ev);
                return;
            case SimEventKind.LocalClosed:
                Hash(ev, ev.End!.Owner.Index, ev.End.Other.Owner.Index);
                ReportClosed(ev.End, ev.Reason!);
                return;
            case SimEventKind.DialOutcome:
                Hash(ev, ev.Peer!.Index, -1);
                foreach (char c in ev.Address!.ToString())
                {
                    Mix(c);
                }
                DialOutcome(ev);
                return;
            default:
                throw new InvalidOperationException($"unknown event kind {ev.Kind}");
        }
    }

    private void RunTick(SimEvent ev)
    {
        SimulatedPeer peer = ev.Peer!;
        if (!peer.IsAlive || peer.Incarnation != ev.Incarnation || peer.TickGeneration != ev.Generation)
        {
            return;
        }
        peer.TickPending = false;
        if (peer.LastTickAt == _nowTicks)
        {
            if (++peer.TicksAtInstant > Options.MaxTicksPerInstant)
            {
                throw new SimulationException(
                    $"peer {peer.Index}: NextDeadline stays at {peer.ScheduledDeadline:O} after {peer.TicksAtInstant} ticks at that instant (a MeshNode bug)\n{Describe()}");
            }
        }
        else
        {
            peer.LastTickAt = _nowTicks;
            peer.TicksAtInstant = 1;
        }
        Hash(ev, peer.Index, 0);
        Invoke(peer, n => n.Tick());
    }

    /// <summary>Calls into a live node, then queues its (possibly new) deadline.</summary>
    private void Invoke(SimulatedPeer peer, Action<MeshNode> call)
    {
        MeshNode node = peer.Node!;
        int incarnation = peer.Incarnation;
        EventCount++;
        long started = Stopwatch.GetTimestamp();
        call(node);
        _nodeTimestamps += Stopwatch.GetTimestamp() - started;
        if (peer.IsAlive && peer.Incarnation == incarnation)
        {
            RefreshDeadline(peer, node);
        }
    }

    private void RefreshDeadline(SimulatedPeer peer, MeshNode node)
    {
        DateTimeOffset deadline = node.NextDeadline;
        if (peer.TickPending && deadline == peer.ScheduledDeadline)
        {
            return;
        }
        peer.ScheduledDeadline = deadline;
        peer.TickGeneration++;
        long ticks = deadline.UtcTicks - _startTicks;
        if (deadline - Options.Start > Elapsed + s_horizon)
        {
            peer.TickPending = false;
            return;
        }
        peer.TickPending = true;
        Schedule(ticks, new SimEvent { Kind = SimEventKind.Tick, Peer = peer, Incarnation = peer.Incarnation, Generation = peer.TickGeneration });
    }

    private void Hash(SimEvent ev, int a, int b)
    {
        Mix((ulong)_nowTicks);
        Mix((ulong)ev.Kind);
        Mix((ulong)a);
        Mix((ulong)b);
        if (ev.Body is { } body)
        {
            Mix(ev.Tag);
            Mix((ulong)body.Length);
            // FNV-1a over 8-byte words, then the tail: a byte-wise loop costs as much as the node's decoding.
            ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(body);
            ulong h = _traceHash;
            foreach (ulong w in words)
            {
                h = (h ^ w) * 1099511628211UL;
            }
            for (int i = words.Length * sizeof(ulong); i < body.Length; i++)
            {
                h = (h ^ body[i]) * 1099511628211UL;
            }
            _traceHash = h;
        }
    }

    private void Mix(ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            _traceHash = (_traceHash ^ (byte)(value >> (8 * i))) * 1099511628211UL;
        }
    }

    private void Trace(string line)
    {
        if (_traceLines.Count >= Options.TraceLines)
        {
            _traceLines.Dequeue();
        }
        _traceLines.Enqueue($"+{FormatElapsed(Elapsed)} {line}");
    }
}
