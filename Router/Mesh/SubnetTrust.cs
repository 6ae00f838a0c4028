using System.Net;

namespace Weave.Router.Mesh;

/// <summary>
/// <c>--trusted-subnets</c>: the underlay networks whose peers we trust with our data in clear.
/// Each connection asks it about the peer's TCP address and says the answer in its intro
/// (<c>Trusted</c>); the data between two peers goes unencrypted only when both ends said yes
/// (<see cref="Weave.Gossip.Protocol.DataTrust"/>).
/// </summary>
public sealed class SubnetTrust
{
    public static readonly SubnetTrust None = new([]);

    public SubnetTrust(IReadOnlyList<IPNetwork> subnets)
    {
        ArgumentNullException.ThrowIfNull(subnets);
        Subnets = subnets;
    }

    public IReadOnlyList<IPNetwork> Subnets { get; }

    /// <summary>The address is inside one of the subnets (an IPv4 address seen by a dual-stack socket as <c>::ffff:a.b.c.d</c> counts as itself).</summary>
    public bool Trusts(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (IPNetwork subnet in Subnets)
        {
            if (subnet.Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}
