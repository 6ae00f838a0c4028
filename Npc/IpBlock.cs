using System.Collections.Immutable;
using System.Net;

namespace Weave.Npc;

/// <summary>
/// A peer given by addresses: <see cref="Cidr"/> minus every <see cref="Except"/> (each a strict
/// subset of the cidr, which the parser checks). It matches any address, a pod's included.
/// </summary>
public sealed record IpBlock(IPNetwork Cidr, ImmutableArray<IPNetwork> Except)
{
    public bool Contains(IPAddress address)
    {
        if (!Cidr.Contains(address))
        {
            return false;
        }
        foreach (IPNetwork except in Except)
        {
            if (except.Contains(address))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => Except.IsEmpty ? Cidr.ToString() : $"{Cidr} except {string.Join(",", Except)}";

    public bool Equals(IpBlock? other) => other is not null && Cidr == other.Cidr && Structural.Equal(Except, other.Except);

    public override int GetHashCode() => HashCode.Combine(Cidr, Structural.Hash(Except));
}
