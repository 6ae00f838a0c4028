namespace Weave.Simulation;

/// <summary>What can happen at an instant of simulated time. One class with a kind, not a hierarchy: the loop switches on it.</summary>
internal enum SimEventKind
{
    /// <summary>A message arrives at <see cref="SimEvent.End"/>.</summary>
    Deliver,

    /// <summary>The other end closed (or the link broke): <see cref="SimEvent.End"/> learns it.</summary>
    RemoteClosed,

    /// <summary>The host reports to a node the close of an end the node closed itself.</summary>
    LocalClosed,

    /// <summary>A dial by <see cref="SimEvent.Peer"/> to <see cref="SimEvent.Address"/> completes or fails.</summary>
    DialOutcome,

    /// <summary><see cref="SimEvent.Peer"/>'s deadline is due (valid only while <see cref="SimEvent.Generation"/> is current).</summary>
    Tick,
}

internal sealed class SimEvent
{
    public SimEventKind Kind { get; init; }
    public SimulatedPeer? Peer { get; init; }
    public int Incarnation { get; init; }
    public SimulatedConnection? End { get; init; }
    public byte Tag { get; init; }
    public byte[]? Body { get; init; }
    public string? Reason { get; init; }
    public Weave.Gossip.PeerAddress? Address { get; init; }
    public long Generation { get; init; }

    /// <summary>Messages, dial outcomes and close notices are the network; ticks are the nodes' own timers.</summary>
    public bool IsNetwork => Kind != SimEventKind.Tick;
}

/// <summary>Queue priority: time first, then the order of scheduling, so equal times replay identically.</summary>
internal readonly record struct EventKey(long Ticks, long Sequence) : IComparable<EventKey>
{
    public int CompareTo(EventKey other)
    {
        int byTime = Ticks.CompareTo(other.Ticks);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }
}
