using Weave.Gossip;
using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>
/// One end of an in-memory connection. Both ends share a <see cref="ConnectionUid"/>; each has
/// its own closed flag, because a close travels to the other end with the same latency as data.
/// </summary>
internal sealed class SimulatedConnection : IMeshConnection
{
    private readonly SimulatedMesh _mesh;

    public SimulatedConnection(SimulatedMesh mesh, SimulatedPeer owner, int incarnation, PeerIdentity remote,
        bool outbound, string remoteAddress, ulong connectionUid, SimulatedLink link)
    {
        _mesh = mesh;
        Owner = owner;
        OwnerIncarnation = incarnation;
        Remote = remote;
        Outbound = outbound;
        RemoteAddress = remoteAddress;
        ConnectionUid = connectionUid;
        Link = link;
    }

    public PeerIdentity Remote { get; }
    public bool Outbound { get; }
    public string RemoteAddress { get; }
    public ulong ConnectionUid { get; }

    public SimulatedPeer Owner { get; }
    public int OwnerIncarnation { get; }
    public SimulatedLink Link { get; }
    public SimulatedConnection Other { get; set; } = null!;

    /// <summary>This end sends and receives nothing more.</summary>
    public bool Closed
    {
        get => ClosedAt is not null;
        set => ClosedAt = value ? ClosedAt ?? _mesh.Now : null;
    }

    /// <summary>When this end was closed.</summary>
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>Why the owner closed this end; null when it did not (yet), or the other end or the network did.</summary>
    public string? CloseReason { get; set; }

    /// <summary>
    /// A working link carries the other end's heartbeats (the router sends one every 10 s), so
    /// this end hears something all the time; a cut link or a closed other end falls silent then.
    /// </summary>
    public DateTimeOffset LastReceived =>
        Link.CutAt is { } cut ? Min(cut, Other.ClosedAt ?? cut) : Other.ClosedAt ?? _mesh.Now;

    /// <summary>The owner's OnConnected returned true.</summary>
    public bool Accepted { get; set; }

    /// <summary>The owner was told OnClosed (it must not send afterwards).</summary>
    public bool ClosedReported { get; set; }

    /// <summary>With FIFO delivery: the arrival time of the last message sent from this end.</summary>
    public long LastArrivalTicks { get; set; }

    /// <summary>Whether the owner's current incarnation is this end's.</summary>
    public bool OwnerIsCurrent => Owner.IsAlive && Owner.Incarnation == OwnerIncarnation;

    public void Send(byte tag, ReadOnlyMemory<byte> body) => _mesh.OnSend(this, tag, body);

    public void Close(string reason) => _mesh.OnCloseRequested(this, reason);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    public override string ToString() => $"{Owner.Index}{(Outbound ? "->" : "<-")}{Other?.Owner.Index}#{ConnectionUid:x}";
}

/// <summary>What both ends of a connection share.</summary>
internal sealed class SimulatedLink
{
    /// <summary>A partition or a crash broke it: nothing more gets through.</summary>
    public bool Cut => CutAt is not null;

    /// <summary>When a partition or a crash broke it.</summary>
    public DateTimeOffset? CutAt { get; set; }
}
