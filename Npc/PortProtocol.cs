namespace Weave.Npc;

/// <summary>The protocols a NetworkPolicy port and a container port can name; TCP when unsaid.</summary>
public enum PortProtocol
{
    Tcp,
    Udp,
    Sctp,
}
