using System.Net;

namespace Weave.Npc.Enforcement;

/// <summary>A destination pod's address with one port it declares by name: what an egress rule's named port resolves to.</summary>
public readonly record struct PortEndpoint(IPAddress Address, PortProtocol Protocol, int Port)
{
    public override string ToString() => $"{Address} . {EnforcementNames.Protocol(Protocol)} . {Port}";
}
