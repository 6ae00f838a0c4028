namespace Weave.Ipam;

/// <summary>The allocator's configuration, filled by the host from flags or environment.</summary>
public sealed record IpamOptions(Cidr Range, IpamInit Init)
{
    /// <summary>Where <see cref="Allocator.Allocate"/> allocates when no subnet is given; the range when null.</summary>
    public Cidr? DefaultSubnet { get; init; }

    /// <summary>How long an allocation or claim may wait (for consensus, a ring, or space from a peer) before it fails.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Consensus retries, free-space reports and re-asking for space run on this tick (Weave's 5 s).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for an answer to a space request before asking again (maybe another peer).</summary>
    public TimeSpan SpaceRequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A claim of another peer's address fails after this many unanswered requests (Weave's 5).</summary>
    public int ClaimAttempts { get; init; } = 5;

    public Cidr EffectiveDefaultSubnet => DefaultSubnet ?? Range;

    public bool TryValidate(out string error)
    {
        if (Range.PrefixLength is < 1 or > 30)
        {
            error = $"--ipalloc-range {Range} must be between /1 and /30";
            return false;
        }
        if (Init is null)
        {
            error = "no --ipalloc-init mode";
            return false;
        }
        if (Init.Mode == IpamInitMode.Consensus && Init.PeerCount is null)
        {
            error = "consensus needs the number of initial peers (consensus=N)";
            return false;
        }
        Cidr subnet = EffectiveDefaultSubnet;
        if (!Range.Contains(subnet) || subnet.PrefixLength > 30)
        {
            error = $"--ipalloc-default-subnet {subnet} must lie inside --ipalloc-range {Range} and hold at least 4 addresses";
            return false;
        }
        if (RequestTimeout <= TimeSpan.Zero || TickInterval <= TimeSpan.Zero || SpaceRequestTimeout <= TimeSpan.Zero || ClaimAttempts < 1)
        {
            error = "IPAM timeouts must be positive";
            return false;
        }
        error = "";
        return true;
    }
}
