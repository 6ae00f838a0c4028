using System.Net;

namespace Weave.Linux;

/// <summary>
/// A kernel VXLAN device as the overlay needs it: one VNI, one UDP port for both ends, MAC
/// learning off (the router programs the forwarding database), no multicast group.
/// </summary>
/// <param name="Vni">The VXLAN network identifier (24 bits).</param>
/// <param name="Port">The UDP port it receives on and sends to, and the source port of what it
/// sends: a userspace VXLAN receiver knows its peers by address and port.</param>
/// <param name="Local">The source address, or null to let the route choose.</param>
public readonly record struct VxlanSettings(int Vni, int Port, IPAddress? Local = null)
{
    public const int MaxVni = 0xFF_FFFF;
}
