using System.Net;

namespace Weave.Router.Api;

/// <summary>
/// The IPv4 addresses of the bridge <c>weave</c>, which <c>weave expose</c> and <c>weave hide</c>
/// change: netlink in the router (<c>NetlinkBridgeAddresses</c>), a list in tests. Every method
/// throws <see cref="Weave.Linux.LinuxError"/> or <see cref="InvalidOperationException"/> with the
/// reason when the kernel refuses or the bridge does not exist.
/// </summary>
public interface IBridgeAddresses
{
    /// <summary>The bridge's name, for messages.</summary>
    string Name { get; }

    /// <summary>Puts the address on the bridge; nothing changes when it is there already.</summary>
    void Add(IPAddress address, int prefixLength);

    /// <summary>Takes the address off the bridge, whatever its prefix length; false when it was not there.</summary>
    bool Remove(IPAddress address);

    /// <summary>The bridge's IPv4 addresses; empty when there is no bridge.</summary>
    IReadOnlyList<(IPAddress Address, int PrefixLength)> List();
}
