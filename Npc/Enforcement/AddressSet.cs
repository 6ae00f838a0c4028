using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>
/// A named interval set of one family's addresses: the peers one rule allows (selected pods'
/// addresses, ipBlocks minus their excepts). Named after its content, so rules that allow the
/// same peers share it.
/// </summary>
public sealed record AddressSet(string Name, AddressFamily Family, ImmutableArray<AddressInterval> Intervals)
{
    public string NftType => Family == AddressFamily.InterNetwork ? "ipv4_addr" : "ipv6_addr";

    public bool Contains(IPAddress address)
    {
        foreach (AddressInterval interval in Intervals)
        {
            if (interval.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    internal static AddressSet Of(AddressFamily family, IEnumerable<AddressInterval> intervals)
    {
        ImmutableArray<AddressInterval> normalized = [.. AddressInterval.Normalize(intervals)];
        string prefix = family == AddressFamily.InterNetwork ? "a4-" : "a6-";
        return new AddressSet(EnforcementNames.ByContent(prefix, normalized), family, normalized);
    }
}
