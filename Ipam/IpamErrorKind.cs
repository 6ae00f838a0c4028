namespace Weave.Ipam;

/// <summary>Why an IPAM operation failed (<see cref="None"/> when it did not).</summary>
public enum IpamErrorKind
{
    None,

    /// <summary>The range is not seeded yet (consensus, observer), or the answer did not come in time.</summary>
    NotReady,

    /// <summary>No free address in the subnet, here or at any peer that answered.</summary>
    NoSpace,

    /// <summary>The address is in use, owned by a peer that refused it, or the operation would be unsafe.</summary>
    Conflict,

    /// <summary>Nothing is recorded under that ID (or ID and address), or no such peer.</summary>
    NotFound,

    /// <summary>Bad input: not an IPv4 address, a subnet outside the range, an empty ID.</summary>
    Invalid,

    /// <summary>The state could not be saved, so nothing was changed.</summary>
    StoreFailed,
}
