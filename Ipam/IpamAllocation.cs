using System.Net;

namespace Weave.Ipam;

/// <summary>One address recorded under an ID, with the ID's metadata (e.g. a pod's namespace and name).</summary>
public sealed record IpamAllocation(string Id, IPAddress Address, int PrefixLength, IReadOnlyDictionary<string, string> Metadata)
{
    public override string ToString() => $"{Id} {Address}/{PrefixLength}";
}
