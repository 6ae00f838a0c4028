using System.Net;

namespace Weave.Linux;

/// <summary>An IP address assigned to an interface, as <c>ip addr</c> shows it: 10.32.0.1/12.</summary>
/// <param name="Address">The local address (IFA_LOCAL, or IFA_ADDRESS when there is none), IPv4 or IPv6.</param>
/// <param name="PrefixLength">ifa_prefixlen: 0-32 for IPv4, 0-128 for IPv6.</param>
public sealed record InterfaceAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}
