using System.Diagnostics;
using Weave.Gossip;
using Weave.Gossip.Channels;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Store;
using Weave.Ipam.Wire;

namespace Weave.Ipam;

/// <summary>
/// A peer's IP allocator: the ring of its range, its own allocations, seeding, and space requests to
/// and from other peers (see docs/ipam.md). Sans-IO: the host registers it as the mesh channel
/// <c>ipam</c>, calls <see cref="Attach"/>, then every method (operations, gossip callbacks,
/// <see cref="Tick"/>) on one loop, never concurrently. It never blocks: operations that must wait
/// (for consensus, a ring, space from a peer) return tasks completed later on the loop, with
/// continuations run asynchronously. Every change is saved to the <see cref="IIpamStore"/> before a
/// result is completed or a message sent, so a kill loses nothing that was promised; the changes of
/// one loop turn share one write (see Allocator.Commit.cs).
/// <para>
/// No address is ever held by two IDs: we only allocate inside space our ring says we own; we
/// give away only space with no allocations of ours; and we refuse (whole, with a reason) any ring
/// update that would give space holding one of our allocations to someone else.
/// </para>
/// </summary>
public sealed partial class Allocator : IGossiper
{
    private readonly PeerName _self;
    private readonly string _nickname;
    private readonly ulong _uid;
    private readonly IpamOptions _options;
    private readonly IIpamStore _store;
    private readonly IPeerView _peers;
    private readonly TimeProvider _time;
    private readonly Random _random;

    private readonly Dictionary<string, Holder> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _byAddress = [];
    private readonly SortedSet<uint> _allocated = [];

    /// <summary>Every address from <see cref="_denseFrom"/> up to <see cref="_denseTo"/> (exclusive) is allocated (see <see cref="LowestFree"/>).</summary>
    private uint _denseFrom;
    private ulong _denseTo;
    private readonly Dictionary<PeerName, string> _nicknames = [];

    private IGossipChannel? _channel;
    private Ring _ring;
    private Paxos? _paxos;
    private bool _consensusStarted;
    private bool _handedOff;
    private string? _conflict;
    private DateTimeOffset _conflictAt;
    private DateTimeOffset _nextTick;

    public Allocator(PeerName self, string nickname, ulong uid, IpamOptions options, IIpamStore store, IPeerView peers,
        TimeProvider time, Random random)
    {
        ArgumentNullException.ThrowIfNull(nickname);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        if (self.Value == 0)
        {
            throw new ArgumentException("the peer name must not be zero", nameof(self));
        }
        if (!options.TryValidate(out string error))
        {
            throw new ArgumentException(error, nameof(options));
        }
        _self = self;
        _nickname = nickname;
        _uid = uid;
        _options = options;
        _store = store;
        _peers = peers;
        _time = time;
        _random = random;
        _nicknames[self] = nickname;
        _nextTick = time.GetUtcNow() + options.TickInterval;

        IpamState? state = store.Load();
        if (state is not null && (state.Self != self || state.Range != options.Range))
        {
            string reason = $"the IPAM data was recorded by peer {state.Self} for range {state.Range}; we are {self} with range {options.Range}";
            store.SetAside(reason);
            _pendingLog.Add(new IpamLogEventArgs(IpamLogLevel.Warning, 3001, reason + ": set aside, starting afresh"));
            state = null;
        }
        _ring = options.Init.Mode == IpamInitMode.Seed ? Ring.Seeded(options.Range, options.Init.Seeds) : Ring.Empty(options.Range);
        _durable = state is null ? IpamImage.Empty(self, _ring) : IpamImage.Of(state);
        if (state is not null)
        {
            Adopt(_durable);
        }
        if (_ring.IsEmpty && options.Init.Mode == IpamInitMode.Consensus)
        {
            _paxos = new Paxos(self, uid, options.Init.PeerCount!.Value, state?.Claims);
        }
        CheckInvariants();
        _durableFullState = FullStateNow();
        if (state is not null && state.FormatVersion == StateFile.LegacyVersion)
        {
            // Read as it is (it has no checksum to check) and written again at once with one.
            bool saved = Save(IpamChanges.None) is null;
            _pendingLog.Add(new IpamLogEventArgs(IpamLogLevel.Warning, 3003,
                $"the IPAM state was in format {state.FormatVersion}, which has no checksum: read as it is" +
                (saved ? $" and saved again in format {IpamState.CurrentFormatVersion}" : "; saving it again failed, it stays as it is")));
        }
    }

    /// <summary>Log lines (event IDs 3000–3999); raised on the loop.</summary>
    public event EventHandler<IpamLogEventArgs>? Log;

    public PeerName Self => _self;

    /// <summary>Our current ring (tests and the simulation read it).</summary>
    internal Ring Ring => _ring;

    /// <summary>When <see cref="Tick"/> should next run (the tick, or an earlier request deadline).</summary>
    public DateTimeOffset NextDeadline
    {
        get
        {
            DateTimeOffset next = _nextTick;
            foreach (PendingOp op in _pending)
            {
                next = Min(next, op.Deadline);
            }
            foreach (SpaceRequest r in _requests.Values)
            {
                next = Min(next, r.Deadline);
            }
            return next;
        }
    }

    /// <summary>Messages refused because they were malformed or unsafe.</summary>
    public long RejectedMessages { get; private set; }

    /// <summary>Called once, with the channel from <c>MeshNode.RegisterChannel("ipam", allocator)</c>.</summary>
    public void Attach(IGossipChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (_channel is not null)
        {
            throw new InvalidOperationException("the allocator is already attached to a channel");
        }
        _channel = channel;
        FlushLog();
    }

    /// <summary>
    /// Periodic work, at least at <see cref="NextDeadline"/>: consensus retries, our free-space
    /// report, re-asking for space, failing requests that waited too long.
    /// </summary>
    public void Tick()
    {
        DateTimeOffset now = _time.GetUtcNow();
        ExpireRequests(now);
        if (now >= _nextTick)
        {
            _nextTick = now + _options.TickInterval;
            ForgetDenials();
            ConsensusTick();
            ReportFree();
        }
        Progress();
        ExpirePending(now);
        FlushLog();
    }

    /// <summary>Tells the allocator the mesh's peers changed (joined, left, reachability): pending requests may now be served.</summary>
    public void OnPeersChanged()
    {
        KnownPeers();
        Progress();
        FlushLog();
    }

    /// <summary>The mesh's peers now; their nicknames are remembered (rmpeer and status need them after a peer is gone).</summary>
    private IReadOnlyCollection<IpamPeer> KnownPeers()
    {
        IReadOnlyCollection<IpamPeer> peers = _peers.Peers;
        foreach (IpamPeer peer in peers)
        {
            if (!string.IsNullOrEmpty(peer.NickName) && peer.Name != _self)
            {
                _nicknames[peer.Name] = peer.NickName;
            }
        }
        return peers;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when an invariant is broken: the ring is valid
    /// (sorted unique tokens inside the range, so it covers the range), every allocation of ours
    /// in the range lies in space we own, and the indexes agree.
    /// </summary>
    public void CheckInvariants()
    {
        _ring.CheckInvariants();
        int addresses = 0;
        foreach ((string id, Holder holder) in _byId)
        {
            foreach ((uint address, _) in holder.Addresses)
            {
                addresses++;
                if (!_byAddress.TryGetValue(address, out string? owner) || owner != id || !_allocated.Contains(address))
                {
                    throw new InvalidOperationException($"IPAM index broken at {Ip4.Format(address)} ({id})");
                }
                if (_options.Range.Contains(address) && _ring.OwnerOf(address) != _self)
                {
                    throw new InvalidOperationException(
                        $"IPAM invariant broken: {Ip4.Format(address)} of {id} lies in space owned by {_ring.OwnerOf(address)?.ToString() ?? "nobody"}");
                }
            }
        }
        if (addresses != _byAddress.Count || addresses != _allocated.Count)
        {
            throw new InvalidOperationException("IPAM indexes disagree on the number of addresses");
        }
    }

    [Conditional("DEBUG")]
    private void DebugCheck() => CheckInvariants();

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private string Describe(PeerName peer) =>
        _nicknames.TryGetValue(peer, out string? nick) ? $"{peer}({nick})" : peer.ToString();

    private readonly List<IpamLogEventArgs> _pendingLog = [];

    private void Emit(IpamLogLevel level, int eventId, string message) => _pendingLog.Add(new IpamLogEventArgs(level, eventId, message));

    /// <summary>
    /// At the end of every call: writes the changes when each call writes its own (no
    /// <see cref="GroupCommit"/>), then raises queued log events, after the state change is
    /// complete, so a handler sees a consistent allocator.
    /// </summary>
    private void FlushLog()
    {
        WriteInline();
        if (_pendingLog.Count == 0)
        {
            return;
        }
        IpamLogEventArgs[] lines = [.. _pendingLog];
        _pendingLog.Clear();
        foreach (IpamLogEventArgs line in lines)
        {
            Log?.Invoke(this, line);
        }
    }

    /// <summary>Makes <paramref name="ring"/> ours; it is saved with the next write.</summary>
    private void CommitRing(Ring ring)
    {
        _ring = ring;
        MarkUnsaved();
        DebugCheck();
    }

    private byte[] EncodeRing() => IpamWire.Encode(new RingMessage(_ring, _nicknames));

    private void BroadcastRing() => Broadcast(EncodeRing());

    private void Record(string id, uint address, int prefix, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!_byId.TryGetValue(id, out Holder? holder))
        {
            holder = new Holder();
            _byId.Add(id, holder);
        }
        if (metadata is not null)
        {
            holder.Metadata = metadata;
        }
        _dirtyIds.Add(id);
        holder.Addresses.Add((address, prefix));
        _byAddress.Add(address, id);
        _allocated.Add(address);
    }

    private void Unrecord(string id, uint address)
    {
        Holder holder = _byId[id];
        _dirtyIds.Add(id);
        if (address >= _denseFrom && address < _denseTo)
        {
            _denseTo = address;
        }
        holder.Addresses.RemoveAll(a => a.Address == address);
        if (holder.Addresses.Count == 0)
        {
            _byId.Remove(id);
        }
        _byAddress.Remove(address);
        _allocated.Remove(address);
    }

    private sealed class Holder
    {
        public List<(uint Address, int Prefix)> Addresses { get; } = [];
        public IReadOnlyDictionary<string, string> Metadata { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);
    }
}
