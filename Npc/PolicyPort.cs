namespace Weave.Npc;

/// <summary>
/// One entry of a rule's ports: a protocol and either no port (all ports of the protocol), a
/// number (a range up to <see cref="EndPort"/> when that is given) or a name. A name resolves
/// against the destination pod's container ports of the same protocol, so a destination that is
/// not a pod of the cluster (or is a hostNetwork pod, seen only by address) never matches a name.
/// </summary>
public sealed record PolicyPort(PortProtocol Protocol, int? Number, string? Name, int? EndPort)
{
    public static PolicyPort AllOf(PortProtocol protocol) => new(protocol, null, null, null);

    public static PolicyPort Numbered(PortProtocol protocol, int number, int? endPort = null) => new(protocol, number, null, endPort);

    public static PolicyPort Named(PortProtocol protocol, string name) => new(protocol, null, name, null);

    public bool Matches(PortProtocol protocol, int port, Pod? destination)
    {
        if (protocol != Protocol)
        {
            return false;
        }
        if (Name is not null)
        {
            return destination is not null && destination.DeclaresNamedPort(Name, protocol, port);
        }
        if (Number is not int first)
        {
            return true;
        }
        return port >= first && port <= (EndPort ?? first);
    }

    public override string ToString()
    {
        string protocol = Protocol.ToString().ToUpperInvariant();
        return (Name, Number, EndPort) switch
        {
            ({ } name, _, _) => $"{protocol}/{name}",
            (null, { } n, { } end) => $"{protocol}/{n}-{end}",
            (null, { } n, null) => $"{protocol}/{n}",
            _ => $"{protocol}/any",
        };
    }
}
