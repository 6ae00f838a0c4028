namespace Weave.Npc;

/// <summary>A new connection (or first datagram) from <see cref="Source"/> to <see cref="Destination"/>'s <see cref="Port"/>.</summary>
public sealed record Flow(FlowEndpoint Source, FlowEndpoint Destination, PortProtocol Protocol, int Port)
{
    public override string ToString() => $"{Source} -> {Destination} {Protocol.ToString().ToUpperInvariant()}/{Port}";
}
