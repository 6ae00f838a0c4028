using Weave.Gossip;

namespace Weave.Ipam;

/// <summary>
/// The allocator's state for <c>weave status ipam</c> and <c>/report</c>. <see cref="State"/> is
/// one line such as <c>ready</c>, <c>awaiting consensus (quorum: 2, known: 1)</c>,
/// <c>waiting for a ring (observer)</c> or <c>all ranges owned by unreachable peers: use 'weave rmpeer'</c>.
/// </summary>
public sealed record IpamStatus(
    Cidr Range,
    Cidr DefaultSubnet,
    string Mode,
    string State,
    bool Ready,
    IReadOnlyList<IpamPeerShare> Peers,
    long Free,
    long Allocated,
    int PendingRequests,
    string? Conflict,
    long RejectedMessages,
    IReadOnlyList<IpamRingToken> Ring);

/// <summary>One ring entry as <c>/report</c> shows it: <see cref="Owner"/> owns from <see cref="Token"/> to the next token.</summary>
public sealed record IpamRingToken(System.Net.IPAddress Token, PeerName Owner, uint Version, long FreeHint);

/// <summary>How much of the range a peer owns in our view of the ring.</summary>
public sealed record IpamPeerShare(PeerName Name, string NickName, long Owned, double Percent, long FreeHint, bool Reachable, bool IsSelf);
