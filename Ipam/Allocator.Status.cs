using Weave.Gossip;

namespace Weave.Ipam;

/// <summary>What <c>weave status ipam</c> shows.</summary>
public sealed partial class Allocator
{
    private static readonly TimeSpan s_conflictShownFor = TimeSpan.FromMinutes(1);

    /// <summary>True when the range is seeded here; starts consensus if it was waiting for a first request.</summary>
    public bool CheckReady()
    {
        if (_ring.IsEmpty)
        {
            StartConsensus();
        }
        FlushLog();
        return !_ring.IsEmpty && !_handedOff;
    }

    public IpamStatus Status()
    {
        Dictionary<PeerName, IpamPeer> known = KnownPeers().ToDictionary(p => p.Name);
        Dictionary<PeerName, long> owned = _ring.OwnedCounts();
        var free = new Dictionary<PeerName, long>();
        foreach (Rings.RingEntry e in _ring.Entries)
        {
            free[e.Owner] = free.GetValueOrDefault(e.Owner) + e.Free;
        }
        long range = _options.Range.Size;
        var shares = owned.OrderBy(p => p.Key).Select(p => new IpamPeerShare(
            p.Key,
            _nicknames.GetValueOrDefault(p.Key) ?? (known.TryGetValue(p.Key, out IpamPeer k) ? k.NickName : ""),
            p.Value,
            100.0 * p.Value / range,
            free.GetValueOrDefault(p.Key),
            p.Key == _self || (known.TryGetValue(p.Key, out IpamPeer peer) && peer.Reachable),
            p.Key == _self)).ToList();
        long ourFree = 0;
        foreach ((uint start, ulong end, _) in _ring.OwnedBy(_self))
        {
            ourFree += (long)(end - start) - _allocated.GetViewBetween(start, (uint)(end - 1)).Count;
        }
        string? conflict = _conflict is not null && _time.GetUtcNow() - _conflictAt < s_conflictShownFor ? _conflict : null;
        return new IpamStatus(_options.Range, _options.EffectiveDefaultSubnet, _options.Init.ToString(), StateText(),
            !_ring.IsEmpty && !_handedOff, shares, ourFree, _byAddress.Count, _pending.Count, conflict, RejectedMessages, RingTokens());
    }

    private List<IpamRingToken> RingTokens()
    {
        var tokens = new List<IpamRingToken>(_ring.Count);
        foreach (Rings.RingEntry e in _ring.Entries)
        {
            tokens.Add(new IpamRingToken(Ip4.ToAddress(e.Token), e.Owner, e.Version, e.Free));
        }
        return tokens;
    }

    private string StateText()
    {
        if (_handedOff)
        {
            return "handed off: this peer owns no space and allocates no more";
        }
        if (_ring.IsEmpty)
        {
            if (_paxos is null)
            {
                return "waiting for a ring (observer)";
            }
            return _consensusStarted
                ? $"awaiting consensus (quorum: {_paxos.Quorum}, known: {_paxos.Known})"
                : "idle (consensus starts with the first request)";
        }
        HashSet<PeerName> reachable = [.. KnownPeers().Where(p => p.Reachable).Select(p => p.Name)];
        bool weHaveFree = false, othersReachable = false;
        foreach (Rings.RingEntry e in _ring.Entries)
        {
            if (e.Owner == _self)
            {
                weHaveFree |= e.Free > 0;
            }
            else
            {
                othersReachable |= reachable.Contains(e.Owner);
            }
        }
        return !weHaveFree && !othersReachable ? "all ranges owned by unreachable peers: use 'weave rmpeer'" : "ready";
    }
}
