namespace Weave.Gossip.Protocol;

/// <summary>
/// Whether a connection's data plane is sealed (<c>--trusted-subnets</c>, as in Weave): with a
/// password it is, unless both ends said in their intros that they trust the other's address.
/// One end's word is not enough (either may be an untrusted network to the other), and a peer that
/// says nothing does not trust. Without a password nothing is sealed. The control plane is sealed
/// whenever there is a password, trusted or not.
/// </summary>
public static class DataTrust
{
    /// <param name="password">Both ends have the password (the handshake refuses a mismatch).</param>
    /// <param name="weTrustThem">Our intro said <c>Trusted</c>: their address is in our trusted subnets.</param>
    /// <param name="theyTrustUs">Their intro said <c>Trusted</c>.</param>
    public static bool IsDataSealed(bool password, bool weTrustThem, bool theyTrustUs) =>
        password && !(weTrustThem && theyTrustUs);
}
