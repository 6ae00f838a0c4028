namespace Weave.Linux;

/// <summary>A network interface as rtnetlink reports it.</summary>
/// <param name="Index">The interface index (ifindex).</param>
/// <param name="Name">IFLA_IFNAME.</param>
/// <param name="Kind">IFLA_LINKINFO/IFLA_INFO_KIND: "bridge", "veth", "tun", ..., or null for links without one (lo, most physical NICs).</param>
/// <param name="Mtu">IFLA_MTU.</param>
/// <param name="IsUp">IFF_UP: administratively up (not whether the carrier is).</param>
/// <param name="MasterIndex">IFLA_MASTER: the bridge this link is attached to, or 0.</param>
/// <param name="MacAddress">IFLA_ADDRESS, empty when the link has none.</param>
public sealed record LinkInfo(int Index, string Name, string? Kind, int Mtu, bool IsUp, int MasterIndex, byte[] MacAddress);
