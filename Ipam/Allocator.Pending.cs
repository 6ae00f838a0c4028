using Weave.Gossip;
using Weave.Ipam.Wire;

namespace Weave.Ipam;

/// <summary>Requests that wait: for a ring, for space from another peer, for the owner of a claimed address.</summary>
public sealed partial class Allocator
{
    private readonly List<PendingOp> _pending = [];
    private readonly Dictionary<ulong, SpaceRequest> _requests = [];

    /// <summary>
    /// Peers that denied a space request for a subnet since the last tick. A denial speaks for the
    /// peer's ring, which may be behind ours (a consensus, grant or rmpeer it has not heard of
    /// yet), so the request waits and asks again at the next tick; a peer that denied in the
    /// previous tick too (<see cref="_deniedLastTick"/>) is believed.
    /// </summary>
    private Dictionary<Cidr, HashSet<PeerName>> _denied = [];

    private Dictionary<Cidr, HashSet<PeerName>> _deniedLastTick = [];

    /// <summary>Peers that did not answer a space request for a subnet in time since the last tick (lost, or cut off): asked again at the next.</summary>
    private readonly Dictionary<Cidr, HashSet<PeerName>> _unanswered = [];
    private ulong _nextRequestId;
    private bool _progressing;

    private Task<AllocationResult> Enqueue(PendingOp op)
    {
        _pending.Add(op);
        Progress();
        FlushLog();
        return op.Completion.Task;
    }

    /// <summary>Serves what can be served now, in arrival order; sends the space requests the rest need.</summary>
    private void Progress()
    {
        if (_progressing)
        {
            return;
        }
        _progressing = true;
        try
        {
            for (int i = 0; i < _pending.Count;)
            {
                PendingOp op = _pending[i];
                AllocationResult? result = TryServe(op);
                if (result is null)
                {
                    i++;
                    continue;
                }
                _pending.RemoveAt(i);
                Answer(op.Completion, result);
            }
        }
        finally
        {
            _progressing = false;
        }
    }

    private AllocationResult? TryServe(PendingOp op)
    {
        if (_handedOff)
        {
            return HandedOffFailure();
        }
        if (_ring.IsEmpty)
        {
            StartConsensus();
            return null;
        }
        if (op.Kind == PendingKind.Allocate)
        {
            if (FindIn(op.Id, op.Subnet) is uint existing)
            {
                return AllocationResult.Success(Ip4.ToAddress(existing), op.Subnet.PrefixLength);
            }
            return LowestFree(op.Subnet) is uint free ? Take(op.Id, free, op.Subnet.PrefixLength, op.Metadata) : AskForSpace(op);
        }
        if (_byAddress.TryGetValue(op.Address, out string? holder))
        {
            return holder == op.Id
                ? AllocationResult.Success(Ip4.ToAddress(op.Address), op.PrefixLength)
                : AllocationResult.Failure(IpamErrorKind.Conflict, $"{Ip4.Format(op.Address)} is already allocated to {holder}");
        }
        PeerName owner = _ring.OwnerOf(op.Address)!.Value;
        if (owner == _self)
        {
            return Take(op.Id, op.Address, op.PrefixLength, op.Metadata);
        }
        if (op.Denial is not null)
        {
            return AllocationResult.Failure(IpamErrorKind.Conflict,
                $"{Ip4.Format(op.Address)} is owned by peer {Describe(owner)}, which refused it: {op.Denial}");
        }
        if (op.Attempts >= _options.ClaimAttempts)
        {
            return AllocationResult.Failure(IpamErrorKind.Conflict,
                $"{Ip4.Format(op.Address)} is owned by peer {Describe(owner)}, which did not answer {op.Attempts} requests for it");
        }
        Cidr single = Cidr.FromValue(op.Address, 32);
        if (!_requests.Values.Any(r => r.Exact && r.Subnet == single))
        {
            SendRequest(owner, exact: true, single);
        }
        op.Waiting = $"asking peer {Describe(owner)} for {Ip4.Format(op.Address)}";
        return null;
    }

    /// <summary>
    /// The lowest host address of <paramref name="subnet"/> in space we own with nothing allocated.
    /// Addresses fill from the bottom, so the search starts past the run of allocated ones the last
    /// search found (<see cref="_denseFrom"/>) rather than walk thousands each time.
    /// </summary>
    private uint? LowestFree(Cidr subnet)
    {
        foreach ((uint start, ulong end) in OwnedHostIntervals(subnet))
        {
            ulong candidate = start >= _denseFrom && start < _denseTo ? _denseTo : start;
            if (candidate < end)
            {
                foreach (uint used in _allocated.GetViewBetween((uint)candidate, (uint)(end - 1)))
                {
                    if (used != candidate)
                    {
                        break;
                    }
                    candidate++;
                }
            }
            if (candidate > start)
            {
                (_denseFrom, _denseTo) = (start, candidate);
            }
            if (candidate < end)
            {
                return (uint)candidate;
            }
        }
        return null;
    }

    /// <summary>Our space inside the host addresses of <paramref name="subnet"/>, sorted, adjacent pieces joined.</summary>
    private List<(uint Start, ulong End)> OwnedHostIntervals(Cidr subnet)
    {
        ulong lo = subnet.FirstHostValue, hi = (ulong)subnet.LastHostValue + 1;
        var pieces = new List<(uint Start, ulong End)>();
        foreach ((uint s, ulong e, _) in _ring.OwnedBy(_self))
        {
            ulong a = Math.Max(s, lo), b = Math.Min(e, hi);
            if (a < b)
            {
                pieces.Add(((uint)a, b));
            }
        }
        pieces.Sort((x, y) => x.Start.CompareTo(y.Start));
        var joined = new List<(uint Start, ulong End)>(pieces.Count);
        foreach ((uint s, ulong e) in pieces)
        {
            if (joined.Count > 0 && joined[^1].End == s)
            {
                joined[^1] = (joined[^1].Start, e);
            }
            else
            {
                joined.Add((s, e));
            }
        }
        return joined;
    }

    /// <summary>Asks a peer with free space in the subnet (chosen at random, weighted by its reported free count); a failure when nobody can have any.</summary>
    private AllocationResult? AskForSpace(PendingOp op)
    {
        if (_requests.Values.Any(r => !r.Exact && r.Subnet == op.Subnet))
        {
            op.Waiting = $"asking for space in {op.Subnet}";
            return null;
        }
        HashSet<PeerName> reachable = [.. KnownPeers().Where(p => p.Reachable).Select(p => p.Name)];
        _denied.TryGetValue(op.Subnet, out HashSet<PeerName>? denied);
        _deniedLastTick.TryGetValue(op.Subnet, out HashSet<PeerName>? deniedBefore);
        _unanswered.TryGetValue(op.Subnet, out HashSet<PeerName>? unanswered);
        var weights = new Dictionary<PeerName, long>();
        bool unreachableHasSpace = false, askAgain = false;
        ulong lo = op.Subnet.FirstHostValue, hi = (ulong)op.Subnet.LastHostValue + 1;
        for (int i = 0; i < _ring.Count; i++)
        {
            Rings.RingEntry e = _ring.Entries[i];
            if (e.Owner == _self || e.Free == 0)
            {
                continue;
            }
            ulong overlap = 0;
            foreach ((uint s, ulong end) in _ring.Spans(i))
            {
                ulong a = Math.Max(s, lo), b = Math.Min(end, hi);
                overlap += a < b ? b - a : 0;
            }
            if (overlap == 0)
            {
                continue;
            }
            if (!reachable.Contains(e.Owner))
            {
                unreachableHasSpace = true;
            }
            else if (denied is not null && denied.Contains(e.Owner))
            {
                askAgain |= deniedBefore is null || !deniedBefore.Contains(e.Owner);
            }
            else if (unanswered is not null && unanswered.Contains(e.Owner))
            {
                askAgain = true;
            }
            else
            {
                weights[e.Owner] = weights.GetValueOrDefault(e.Owner) + (long)Math.Min(e.Free, overlap);
            }
        }
        if (weights.Count == 0)
        {
            if (unreachableHasSpace)
            {
                op.Waiting = $"the free space in {op.Subnet} is owned by unreachable peers";
                return null;
            }
            if (askAgain)
            {
                op.Waiting = $"the peers reporting free space in {op.Subnet} denied it or did not answer: asking again at the next tick";
                return null;
            }
            return AllocationResult.Failure(IpamErrorKind.NoSpace, $"no free addresses in {op.Subnet}");
        }
        long pick = _random.NextInt64(weights.Values.Sum());
        PeerName donor = default;
        foreach ((PeerName name, long weight) in weights.OrderBy(p => p.Key))
        {
            donor = name;
            if (pick < weight)
            {
                break;
            }
            pick -= weight;
        }
        SendRequest(donor, exact: false, op.Subnet);
        op.Waiting = $"asking peer {Describe(donor)} for space in {op.Subnet}";
        return null;
    }

    private void SendRequest(PeerName donor, bool exact, Cidr subnet)
    {
        if (_nextRequestId == 0)
        {
            _nextRequestId = (ulong)_random.NextInt64(1, long.MaxValue / 2);
        }
        ulong id = _nextRequestId++;
        _requests[id] = new SpaceRequest(id, donor, exact, subnet, _time.GetUtcNow() + _options.SpaceRequestTimeout);
        Send(donor, IpamWire.Encode(new SpaceRequestMessage(id, exact, subnet)));
    }

    /// <summary>Forgets requests nobody answered in time: the donor is asked again at the next tick; a claim counts an attempt.</summary>
    private void ExpireRequests(DateTimeOffset now)
    {
        foreach (SpaceRequest r in _requests.Values.Where(r => r.Deadline <= now).ToList())
        {
            _requests.Remove(r.Id);
            if (r.Exact)
            {
                foreach (PendingOp op in _pending.Where(p => p.Kind == PendingKind.Claim && p.Address == r.Subnet.Start))
                {
                    op.Attempts++;
                }
            }
            else
            {
                Remember(_unanswered, r.Subnet, r.Donor);
            }
        }
    }

    /// <summary>At the tick: this tick's denials become the previous tick's, and everyone may be asked again.</summary>
    private void ForgetDenials()
    {
        (_deniedLastTick, _denied) = (_denied, _deniedLastTick);
        _denied.Clear();
        _unanswered.Clear();
    }

    private static void Remember(Dictionary<Cidr, HashSet<PeerName>> peers, Cidr subnet, PeerName donor)
    {
        if (!peers.TryGetValue(subnet, out HashSet<PeerName>? set))
        {
            peers[subnet] = set = [];
        }
        set.Add(donor);
    }

    private void OnSpaceDenied(PeerName source, SpaceDeniedMessage message)
    {
        if (!_requests.Remove(message.RequestId, out SpaceRequest? r) || r.Donor != source)
        {
            return;
        }
        if (!r.Exact)
        {
            Remember(_denied, r.Subnet, source);
        }
        else
        {
            foreach (PendingOp op in _pending.Where(p => p.Kind == PendingKind.Claim && p.Address == r.Subnet.Start))
            {
                if (_ring.OwnerOf(op.Address) == source)
                {
                    op.Denial = message.Reason;
                }
                else
                {
                    op.Attempts++;
                }
            }
        }
        Progress();
    }

    private void ExpirePending(DateTimeOffset now)
    {
        for (int i = 0; i < _pending.Count;)
        {
            PendingOp op = _pending[i];
            if (op.Deadline > now)
            {
                i++;
                continue;
            }
            _pending.RemoveAt(i);
            string what = op.Kind == PendingKind.Allocate ? $"allocating for {op.Id} in {op.Subnet}" : $"claiming {Ip4.Format(op.Address)} for {op.Id}";
            string why = _ring.IsEmpty ? StateText() : op.Waiting ?? "no answer";
            Answer(op.Completion, AllocationResult.Failure(IpamErrorKind.NotReady,
                $"timed out after {_options.RequestTimeout.TotalSeconds:0.#} s {what}: {why}"));
        }
    }

    /// <summary>Fails the waiting requests of an ID (all, or those for one address); returns how many.</summary>
    private int CancelPending(string id, uint? address)
    {
        int cancelled = 0;
        for (int i = 0; i < _pending.Count;)
        {
            PendingOp op = _pending[i];
            if (op.Id == id && (address is null || (op.Kind == PendingKind.Claim && op.Address == address)))
            {
                _pending.RemoveAt(i);
                Answer(op.Completion, AllocationResult.Failure(IpamErrorKind.NotFound, $"{id} was released while its request waited"));
                cancelled++;
            }
            else
            {
                i++;
            }
        }
        return cancelled;
    }

    private void FailAllPending(IpamErrorKind kind, string message)
    {
        PendingOp[] ops = [.. _pending];
        _pending.Clear();
        foreach (PendingOp op in ops)
        {
            Answer(op.Completion, AllocationResult.Failure(kind, message));
        }
    }

    private enum PendingKind
    {
        Allocate,
        Claim,
    }

    private sealed class PendingOp(PendingKind kind, string id, Cidr subnet, uint address, int prefixLength,
        IReadOnlyDictionary<string, string>? metadata, DateTimeOffset deadline)
    {
        public PendingKind Kind { get; } = kind;
        public string Id { get; } = id;
        public Cidr Subnet { get; } = subnet;
        public uint Address { get; } = address;
        public int PrefixLength { get; } = prefixLength;
        public IReadOnlyDictionary<string, string>? Metadata { get; } = metadata;
        public DateTimeOffset Deadline { get; } = deadline;
        public TaskCompletionSource<AllocationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }
        public string? Denial { get; set; }
        public string? Waiting { get; set; }
    }

    private sealed record SpaceRequest(ulong Id, PeerName Donor, bool Exact, Cidr Subnet, DateTimeOffset Deadline);
}
