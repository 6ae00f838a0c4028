using Weave.Gossip;

namespace Weave.Ipam.Consensus;

/// <summary>
/// What one acceptor has said, gossiped as a whole: the highest proposal it promised, and the
/// proposal it last accepted with that proposal's value (the agreed peer set). Only the node itself
/// writes its claims, raising <see cref="Version"/> each time, so a record read from gossip is a
/// state the node really was in: a proposer never combines a promise with an older acceptance.
/// </summary>
internal sealed record NodeClaims(ulong Version, ProposalId Promise, ProposalId Accepted, PeerName[] Value)
{
    public static NodeClaims None { get; } = new(0, default, default, []);

    /// <summary>Total order of two records of the same node: version, then content, so merge is a semilattice even for bad input.</summary>
    public static int Compare(NodeClaims a, NodeClaims b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int c = a.Version.CompareTo(b.Version);
        if (c != 0)
        {
            return c;
        }
        c = a.Promise.CompareTo(b.Promise);
        if (c != 0)
        {
            return c;
        }
        c = a.Accepted.CompareTo(b.Accepted);
        if (c != 0)
        {
            return c;
        }
        for (int i = 0; i < Math.Min(a.Value.Length, b.Value.Length); i++)
        {
            c = a.Value[i].CompareTo(b.Value[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return a.Value.Length.CompareTo(b.Value.Length);
    }

    public bool SameAs(NodeClaims other) => Compare(this, other) == 0;
}
