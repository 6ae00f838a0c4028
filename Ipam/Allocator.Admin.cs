using Weave.Gossip;
using Weave.Ipam.Rings;

namespace Weave.Ipam;

/// <summary>Admin transfers: reclaiming a dead peer's space (rmpeer) and handing ours over before leaving.</summary>
public sealed partial class Allocator
{
    /// <summary>
    /// <c>weave rmpeer</c>: gives every entry of a peer that is gone for good to an heir computed
    /// from the ring alone (the owner of the nearest entry before it that the dead peer does not
    /// own), with the version raised by a fixed amount. Any number of runs, here or on other peers
    /// with the same ring, make the identical change, and their results merge as one. Refused for
    /// ourselves and for a peer the mesh can reach now. (When the dead peer owns the whole ring, the
    /// heir is the lowest-named peer reachable from here, us included.)
    /// </summary>
    public Task<RemovePeerResult> RemovePeer(string nameOrNickname)
    {
        ArgumentNullException.ThrowIfNull(nameOrNickname);
        Task<RemovePeerResult> answer = Answer(RemovePeerCore(nameOrNickname.Trim()));
        FlushLog();
        return answer;
    }

    private RemovePeerResult RemovePeerCore(string text)
    {
        if (!TryResolve(text, out PeerName dead, out string error))
        {
            return RemovePeerResult.Failure(IpamErrorKind.NotFound, error);
        }
        if (dead == _self)
        {
            return RemovePeerResult.Failure(IpamErrorKind.Invalid,
                "cannot rmpeer this peer itself; to hand its space to others before leaving, use DELETE /peer (weave reset)");
        }
        if (KnownPeers().Any(p => p.Name == dead && p.Reachable))
        {
            return RemovePeerResult.Failure(IpamErrorKind.Conflict,
                $"peer {Describe(dead)} is reachable: rmpeer only peers that are gone for good (stop it first), or it could hand out addresses twice");
        }
        if (_ring.IsEmpty)
        {
            return RemovePeerResult.Failure(IpamErrorKind.NotReady, "the range is not seeded yet: " + StateText());
        }
        // When the dead peer owns every entry there is no neighbour to inherit: the lowest-named peer
        // we can reach (or we) does, which concurrent runs on one healthy mesh agree on.
        PeerName fallback = KnownPeers().Where(p => p.Reachable).Select(p => p.Name).Append(_self).Min();
        Ring updated = _ring.TransferAll(dead, owner => true, fallback, out long addresses);
        if (addresses == 0)
        {
            return new RemovePeerResult(IpamErrorKind.None, $"0 IPs taken over from {Describe(dead)}", 0);
        }
        var heirs = new SortedSet<PeerName>();
        for (int i = 0; i < _ring.Count; i++)
        {
            if (_ring.Entries[i].Owner == dead)
            {
                heirs.Add(updated.Entries[i].Owner);
            }
        }
        CommitRing(updated);
        string message = $"{addresses} IPs taken over from {Describe(dead)}";
        Emit(IpamLogLevel.Warning, 3050, $"{message} (heirs: {string.Join(", ", heirs.Select(Describe))})");
        BroadcastRing();
        Progress();
        return new RemovePeerResult(IpamErrorKind.None, message, addresses);
    }

    /// <summary>
    /// Before this peer leaves for good (<c>DELETE /peer</c>): every entry of ours goes to a
    /// reachable peer (the owner of the nearest reachable entry before it, else the reachable peer
    /// with the lowest name) with the version raised, the ring is broadcast, and our allocations are
    /// dropped. Afterwards this allocator allocates nothing.
    /// </summary>
    public Task<RemovePeerResult> HandOff()
    {
        Task<RemovePeerResult> answer = Answer(HandOffCore());
        FlushLog();
        return answer;
    }

    private RemovePeerResult HandOffCore()
    {
        if (_ring.IsEmpty)
        {
            return RemovePeerResult.Failure(IpamErrorKind.NotReady, "the range is not seeded yet: nothing to hand off");
        }
        HashSet<PeerName> reachable = [.. KnownPeers().Where(p => p.Reachable && p.Name != _self).Select(p => p.Name)];
        if (reachable.Count == 0)
        {
            return RemovePeerResult.Failure(IpamErrorKind.Conflict, "no reachable peer to hand our space to");
        }
        Ring updated = _ring.TransferAll(_self, reachable.Contains, reachable.Min(), out long addresses);
        int dropped = 0;
        foreach ((uint address, string id) in _byAddress.Where(p => _options.Range.Contains(p.Key)).ToList())
        {
            Unrecord(id, address);
            dropped++;
        }
        CommitRing(updated);
        _handedOff = true;
        FailAllPending(IpamErrorKind.NotReady, "this peer handed its space to others");
        string message = $"{addresses} IPs handed over; {dropped} allocations dropped";
        Emit(IpamLogLevel.Warning, 3051, message);
        BroadcastRing();
        return new RemovePeerResult(IpamErrorKind.None, message, addresses);
    }

    /// <summary>A peer name, or a nickname we know (refused when ambiguous).</summary>
    private bool TryResolve(string text, out PeerName name, out string error)
    {
        error = "";
        if (PeerName.TryParse(text, out name))
        {
            return true;
        }
        KnownPeers();
        var owners = _ring.OwnedCounts();
        PeerName[] matches = [.. _nicknames.Where(p => p.Value == text).Select(p => p.Key).OrderByDescending(owners.ContainsKey).ThenBy(p => p)];
        if (matches.Length == 1 || (matches.Length > 1 && matches.Count(owners.ContainsKey) == 1))
        {
            name = matches[0];
            return true;
        }
        error = matches.Length == 0
            ? $"no peer is named or nicknamed '{text}'"
            : $"nickname '{text}' is ambiguous ({string.Join(", ", matches)}): give the peer name";
        return false;
    }
}
