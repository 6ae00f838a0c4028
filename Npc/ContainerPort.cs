namespace Weave.Npc;

/// <summary>
/// A port a container declares. Only its name matters to policies: a policy port given by name
/// resolves against the destination pod's declared ports of the same protocol.
/// </summary>
public sealed record ContainerPort(string? Name, int Number, PortProtocol Protocol);
