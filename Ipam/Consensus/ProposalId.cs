using Weave.Gossip;

namespace Weave.Ipam.Consensus;

/// <summary>A Paxos proposal number, ordered by (round, proposer name, proposer UID) as in Weave; default is "none".</summary>
internal readonly record struct ProposalId(ulong Round, PeerName Proposer, ulong Uid) : IComparable<ProposalId>
{
    public bool IsNone => Round == 0;

    public int CompareTo(ProposalId other)
    {
        int c = Round.CompareTo(other.Round);
        if (c != 0)
        {
            return c;
        }
        c = Proposer.CompareTo(other.Proposer);
        return c != 0 ? c : Uid.CompareTo(other.Uid);
    }

    public static bool operator <(ProposalId left, ProposalId right) => left.CompareTo(right) < 0;
    public static bool operator >(ProposalId left, ProposalId right) => left.CompareTo(right) > 0;
    public static bool operator <=(ProposalId left, ProposalId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ProposalId left, ProposalId right) => left.CompareTo(right) >= 0;

    public static ProposalId Max(ProposalId a, ProposalId b) => a >= b ? a : b;

    public override string ToString() => IsNone ? "none" : $"({Round},{Proposer},{Uid:x})";
}
