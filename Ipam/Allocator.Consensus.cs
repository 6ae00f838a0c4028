using Weave.Gossip;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;

namespace Weave.Ipam;

/// <summary>
/// Seeding by consensus: we answer as an acceptor from the start, but propose only once something
/// needs space (or readiness is asked), then again after a few ticks without progress. Any ring we
/// receive ends it; a decided value seeds the ring on every peer identically.
/// </summary>
public sealed partial class Allocator
{
    private int _paxosProgress;
    private int _paxosProgressAtLastTick;
    private int _stalledTicks;

    /// <summary>Ticks without progress before proposing again: more than the two a proposer waits for latecomers.</summary>
    private const int StallTicks = 3;
    private int _stallLimit = StallTicks;

    private void StartConsensus()
    {
        if (_consensusStarted || _paxos is null || !_ring.IsEmpty)
        {
            return;
        }
        _consensusStarted = true;
        Emit(IpamLogLevel.Information, 3040, $"starting consensus on {_options.Range} (quorum {_paxos.Quorum})");
        Propose();
    }

    private void ConsensusTick()
    {
        if (!_consensusStarted || _paxos is null || !_ring.IsEmpty)
        {
            return;
        }
        bool progressed = _paxosProgress != _paxosProgressAtLastTick;
        _paxosProgressAtLastTick = _paxosProgress;
        if (_paxos.Age())
        {
            _stalledTicks = 0;
            AfterPaxosChange(ourClaimsChanged: true);
            return;
        }
        if (progressed)
        {
            _stalledTicks = 0;
            return;
        }
        // Nothing moved for a few ticks (a proposer died, or proposals duel): propose again, after a
        // random number of ticks so that duelling proposers fall out of step.
        if (++_stalledTicks >= _stallLimit)
        {
            _stalledTicks = 0;
            _stallLimit = StallTicks + _random.Next(StallTicks);
            Propose();
        }
    }

    private void Propose()
    {
        _paxos!.Propose();
        _paxosProgress++;
        AfterPaxosChange(ourClaimsChanged: true);
    }

    /// <summary>Merges a peer's consensus state; true when ours changed (so it is worth passing on).</summary>
    private bool OnPaxos(PaxosMessage message)
    {
        if (message.Range != _options.Range)
        {
            Reject(null, $"consensus for range {message.Range}, ours is {_options.Range}");
            return false;
        }
        if (_paxos is null || !_ring.IsEmpty)
        {
            return false;
        }
        Consensus.NodeClaims before = _paxos.Mine;
        if (!_paxos.Merge(message.Claims))
        {
            return false;
        }
        _paxosProgress++;
        AfterPaxosChange(ourClaimsChanged: !before.SameAs(_paxos.Mine));
        return true;
    }

    private void AfterPaxosChange(bool ourClaimsChanged)
    {
        if (_paxos is null)
        {
            return;
        }
        if (_paxos.Decided() is PeerName[] value)
        {
            CommitRing(Ring.Seeded(_options.Range, value));
            _paxos = null;
            Emit(IpamLogLevel.Information, 3041, $"consensus reached: {_options.Range} split among {string.Join(", ", value.Select(Describe))}");
            BroadcastRing();
            Progress();
            return;
        }
        if (ourClaimsChanged)
        {
            // A promise or acceptance leaves only once it is durable: an acceptor must not forget it.
            MarkUnsaved();
            Broadcast(FullStateNow());
        }
    }
}
