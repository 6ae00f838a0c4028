using Weave.Gossip;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;

namespace Weave.Ipam;

/// <summary>The channel side: merging rings from peers (or refusing them), and giving space to peers that ask.</summary>
public sealed partial class Allocator
{
    public void OnUnicast(PeerName source, ReadOnlyMemory<byte> message)
    {
        if (TryDecode(source, message) is IpamMessage decoded)
        {
            switch (decoded)
            {
                case SpaceRequestMessage m:
                    OnSpaceRequest(source, m);
                    break;
                case SpaceGrantMessage m:
                    _requests.Remove(m.RequestId);
                    AcceptRing(m.Ring, source);
                    Progress();
                    break;
                case SpaceDeniedMessage m:
                    OnSpaceDenied(source, m);
                    break;
                case RingMessage m:
                    LearnNicknames(m);
                    AcceptRing(m.Ring, source);
                    break;
                case PaxosMessage m:
                    OnPaxos(m);
                    break;
            }
        }
        FlushLog();
    }

    public byte[]? OnBroadcast(PeerName source, ReadOnlyMemory<byte> update)
    {
        byte[]? relay = OnState(source, update);
        FlushLog();
        return Relay(relay);
    }

    public byte[]? OnGossip(ReadOnlyMemory<byte> state)
    {
        byte[]? delta = OnState(null, state);
        FlushLog();
        return Relay(delta);
    }

    /// <summary>Our state as of the last durable write: later changes are gossiped once they are durable too.</summary>
    public byte[] FullState() => Undurable ? _durableFullState : FullStateNow();

    /// <summary>The ring once seeded; before that the consensus state (empty for an observer).</summary>
    private byte[] FullStateNow() => _ring.IsEmpty
        ? IpamWire.Encode(new PaxosMessage(_options.Range, _paxos?.Claims ?? new Dictionary<PeerName, Consensus.NodeClaims>()))
        : EncodeRing();

    /// <summary>A broadcast or gossiped state: merged; what changed ours is passed on (our whole new state), else nothing.</summary>
    private byte[]? OnState(PeerName? source, ReadOnlyMemory<byte> bytes)
    {
        switch (TryDecode(source, bytes))
        {
            case RingMessage m:
                LearnNicknames(m);
                return AcceptRing(m.Ring, source) ? EncodeRing() : null;
            case PaxosMessage m:
                return OnPaxos(m) ? FullState() : null;
            case null:
                return null;
            default:
                Reject(source, "a space request, grant or denial must be sent by unicast");
                return null;
        }
    }

    private IpamMessage? TryDecode(PeerName? source, ReadOnlyMemory<byte> bytes)
    {
        if (IpamWire.TryDecode(bytes, out IpamMessage? message, out string error))
        {
            return message;
        }
        Reject(source, error);
        return null;
    }

    private void Reject(PeerName? source, string reason)
    {
        RejectedMessages++;
        Emit(IpamLogLevel.Warning, 3010, $"rejected an IPAM message from {(source is { } s ? Describe(s) : "a neighbour")}: {reason}");
    }

    private void LearnNicknames(RingMessage message)
    {
        foreach ((PeerName name, string nick) in message.Nicknames)
        {
            if (name != _self && nick.Length > 0)
            {
                _nicknames.TryAdd(name, nick);
            }
        }
    }

    /// <summary>
    /// Merges a ring from a peer. Refused whole, with a logged reason and the status's conflict
    /// message, when its range or seeds differ from ours, or when the merge would leave one of our
    /// allocations in space we no longer own. Returns true when our ring changed.
    /// </summary>
    private bool AcceptRing(Ring theirs, PeerName? source)
    {
        if (!Ring.TryMerge(_ring, theirs, out Ring merged, out string error))
        {
            Conflict(source, error);
            return false;
        }
        if (merged.Equals(_ring))
        {
            return false;
        }
        foreach (uint address in _allocated)
        {
            if (_options.Range.Contains(address) && merged.OwnerOf(address) != _self)
            {
                PeerName taker = merged.OwnerOf(address)!.Value;
                Conflict(source, $"it gives {Ip4.Format(address)}, allocated here to {_byAddress[address]}, to peer {Describe(taker)}; " +
                    "this happens when a peer's space was reclaimed (rmpeer) while it was still running");
                return false;
            }
        }
        bool wasEmpty = _ring.IsEmpty;
        CommitRing(merged);
        if (wasEmpty)
        {
            _paxos = null;
            Emit(IpamLogLevel.Information, 3020, $"received the ring of {_ring.Range}, seeded by {string.Join(", ", _ring.Seeds.ToArray().Select(Describe))}");
        }
        Progress();
        return true;
    }

    private void Conflict(PeerName? source, string reason)
    {
        RejectedMessages++;
        _conflict = $"refused the IPAM ring from {(source is { } s ? "peer " + Describe(s) : "a neighbour")}: {reason}";
        _conflictAt = _time.GetUtcNow();
        Emit(IpamLogLevel.Error, 3011, _conflict);
    }

    /// <summary>
    /// A peer asks for space: for an exact address, that address if we own it and it is free; else
    /// our largest free run in the subnet, or its upper half when it is more than half our free
    /// space there. The ring is saved and broadcast before the grant is sent.
    /// </summary>
    private void OnSpaceRequest(PeerName source, SpaceRequestMessage request)
    {
        string? denial = null;
        (uint Start, ulong End) give = default;
        if (_ring.IsEmpty || _handedOff)
        {
            denial = "this peer has no space to give";
        }
        else if (source == _self)
        {
            denial = "a peer cannot ask itself for space";
        }
        else if (request.ExactAddress)
        {
            uint address = request.Subnet.Start;
            PeerName? owner = _ring.OwnerOf(address);
            if (owner != _self)
            {
                denial = $"{Ip4.Format(address)} is not owned by this peer" + (owner is { } o ? $" but by {Describe(o)}" : "");
                Send(source, EncodeRing());
            }
            else if (_byAddress.TryGetValue(address, out string? holder))
            {
                denial = $"{Ip4.Format(address)} is in use here by {holder}";
            }
            else
            {
                give = (address, (ulong)address + 1);
            }
        }
        else
        {
            give = LargestFreeRun(request.Subnet);
            if (give.End == give.Start)
            {
                denial = $"no free addresses in {request.Subnet} here";
            }
        }
        if (denial is null)
        {
            CommitRing(WithOurFree(_ring.Grant(give.Start, give.End, _self, source)));
            Emit(IpamLogLevel.Information, 3030, $"gave {Ip4.FormatRange(give.Start, give.End)} to peer {Describe(source)}");
            BroadcastRing();
            Send(source, IpamWire.Encode(new SpaceGrantMessage(request.RequestId, _ring)));
            return;
        }
        Send(source, IpamWire.Encode(new SpaceDeniedMessage(request.RequestId, denial)));
    }

    private (uint Start, ulong End) LargestFreeRun(Cidr subnet)
    {
        (uint Start, ulong End) best = default;
        ulong free = 0;
        foreach ((uint start, ulong end) in OwnedHostIntervals(subnet))
        {
            ulong runStart = start;
            foreach (uint used in _allocated.GetViewBetween(start, (uint)(end - 1)))
            {
                Consider(runStart, used);
                runStart = (ulong)used + 1;
            }
            Consider(runStart, end);
        }
        if (best.End - best.Start > free / 2)
        {
            best.Start += (uint)((best.End - best.Start) / 2);
        }
        return best;

        void Consider(ulong s, ulong e)
        {
            if (e > s)
            {
                free += e - s;
                if (e - s > best.End - best.Start)
                {
                    best = ((uint)s, e);
                }
            }
        }
    }

    /// <summary>The ring with our entries' free counts brought up to date (the owner's report).</summary>
    private Ring WithOurFree(Ring ring)
    {
        var used = new Dictionary<int, uint>();
        foreach (uint address in _allocated)
        {
            if (_options.Range.Contains(address))
            {
                int index = ring.IndexOf(address);
                used[index] = used.GetValueOrDefault(index) + 1;
            }
        }
        return ring.WithFree(_self, i => (uint)ring.SpanSize(i) - used.GetValueOrDefault(i));
    }

    /// <summary>On the tick: publish our free counts when they changed.</summary>
    private void ReportFree()
    {
        if (_ring.IsEmpty || _handedOff)
        {
            return;
        }
        Ring updated = WithOurFree(_ring);
        if (!ReferenceEquals(updated, _ring))
        {
            CommitRing(updated);
            BroadcastRing();
        }
    }
}
