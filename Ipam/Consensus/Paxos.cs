using Weave.Gossip;

namespace Weave.Ipam.Consensus;

/// <summary>
/// Single-decree Paxos over gossip, as Weave seeded its ring with <c>--ipalloc-init consensus=N</c>.
/// The state is every participant's latest <see cref="NodeClaims"/>; it is merged per node (newer
/// version wins) and the whole map is gossiped, so messages may be lost, repeated or reordered.
/// Each node plays acceptor (promises the highest proposal it sees; accepts the highest accepted
/// proposal it sees that is not below its promise) and, when asked, proposer (after a quorum
/// promised its proposal, it accepts the value of the highest acceptance among them, else its own:
/// the set of participants it knows). A value is decided when a quorum (N/2+1) accepted the same
/// proposal. Quorums count distinct peer names. A proposer with a quorum of promises but fewer than
/// N known participants waits one tick for the others, so a cluster that starts together splits
/// the range among all its peers. Not thread-safe: owned by the allocator's loop.
/// </summary>
internal sealed class Paxos
{
    private readonly PeerName _self;
    private readonly ulong _uid;
    private readonly Dictionary<PeerName, NodeClaims> _claims = [];
    private readonly int _peerCount;
    private ProposalId _proposal;
    private int _ticksSinceProposal;

    public Paxos(PeerName self, ulong uid, int peerCount, NodeClaims? persisted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(peerCount, 1);
        _self = self;
        _uid = uid;
        _peerCount = peerCount;
        Quorum = peerCount / 2 + 1;
        _claims[self] = persisted ?? NodeClaims.None;
    }

    public int Quorum { get; }

    /// <summary>How many participants we know of, us included.</summary>
    public int Known => _claims.Count;

    public NodeClaims Mine => _claims[_self];

    public IReadOnlyDictionary<PeerName, NodeClaims> Claims => _claims;

    /// <summary>Starts (or restarts) a proposal above every proposal seen; returns true (our claims changed).</summary>
    public bool Propose()
    {
        ulong round = 0;
        foreach (NodeClaims c in _claims.Values)
        {
            round = Math.Max(round, Math.Max(c.Promise.Round, c.Accepted.Round));
        }
        _proposal = new ProposalId(round + 1, _self, _uid);
        _ticksSinceProposal = 0;
        NodeClaims mine = Mine;
        _claims[_self] = mine with { Version = mine.Version + 1, Promise = ProposalId.Max(mine.Promise, _proposal) };
        Think();
        return true;
    }

    /// <summary>
    /// Called on every tick: once a whole tick has passed since our proposal, a quorum of promises is enough even when fewer
    /// than N participants are known (before, we wait for all N, so that everyone gets a share).
    /// </summary>
    public bool Age()
    {
        _ticksSinceProposal++;
        return Think();
    }

    /// <summary>Merges claims received from a peer (ours included: a record of ours from before a restart). True when anything changed.</summary>
    public bool Merge(IReadOnlyDictionary<PeerName, NodeClaims> incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        bool changed = false;
        foreach ((PeerName name, NodeClaims claims) in incoming)
        {
            if (!_claims.TryGetValue(name, out NodeClaims? ours) || NodeClaims.Compare(claims, ours) > 0)
            {
                _claims[name] = claims;
                changed = true;
            }
        }
        return Think() || changed;
    }

    /// <summary>Takes the acceptor's and proposer's steps the current claims allow; true when ours changed.</summary>
    public bool Think()
    {
        NodeClaims before = Mine;
        NodeClaims mine = before;
        // Acceptor, phase 1: promise the highest proposal anyone has shown.
        ProposalId highest = mine.Promise;
        foreach (NodeClaims c in _claims.Values)
        {
            highest = ProposalId.Max(highest, ProposalId.Max(c.Promise, c.Accepted));
        }
        mine = mine with { Promise = highest };
        // Proposer, phase 2: a quorum promised our proposal: accept it with the value it must carry.
        if (!_proposal.IsNone && mine.Promise == _proposal && mine.Accepted < _proposal)
        {
            int promised = 0;
            NodeClaims? latest = null;
            foreach ((PeerName name, NodeClaims c) in _claims)
            {
                NodeClaims claims = name == _self ? mine : c;
                if (claims.Promise == _proposal)
                {
                    promised++;
                    if (!claims.Accepted.IsNone && (latest is null || claims.Accepted > latest.Accepted))
                    {
                        latest = claims;
                    }
                }
            }
            if (promised >= Quorum && (_ticksSinceProposal >= 2 || _claims.Count >= _peerCount))
            {
                PeerName[] value = latest?.Value ?? [.. _claims.Keys.Order()];
                mine = mine with { Accepted = _proposal, Value = value };
            }
        }
        // Acceptor, phase 2: accept the highest accepted proposal not below our promise.
        NodeClaims? best = null;
        foreach (NodeClaims c in _claims.Values)
        {
            if (!c.Accepted.IsNone && (best is null || c.Accepted > best.Accepted))
            {
                best = c;
            }
        }
        if (best is not null && best.Accepted >= mine.Promise && best.Accepted > mine.Accepted)
        {
            mine = mine with { Promise = best.Accepted, Accepted = best.Accepted, Value = best.Value };
        }
        if (mine.Promise == before.Promise && mine.Accepted == before.Accepted)
        {
            return false;
        }
        _claims[_self] = mine with { Version = before.Version + 1 };
        return true;
    }

    /// <summary>The decided peer set, when a quorum accepted one proposal; else null.</summary>
    public PeerName[]? Decided()
    {
        var counts = new Dictionary<ProposalId, int>();
        foreach (NodeClaims c in _claims.Values)
        {
            if (!c.Accepted.IsNone)
            {
                int n = counts[c.Accepted] = counts.GetValueOrDefault(c.Accepted) + 1;
                if (n >= Quorum && c.Value.Length > 0)
                {
                    return c.Value;
                }
            }
        }
        return null;
    }
}
