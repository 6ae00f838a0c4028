using System.Collections.Immutable;
using System.Net;

namespace Weave.Npc;

/// <summary>
/// A pod as policies see it. A <see cref="HostNetwork"/> pod shares its node's addresses, so no
/// policy selects it and, as a peer, only an ipBlock can see it (by address), like the node itself.
/// </summary>
public sealed record Pod(
    string Namespace,
    string Name,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableArray<IPAddress> Addresses,
    string NodeName,
    bool HostNetwork,
    ImmutableArray<ContainerPort> Ports)
{
    public string Key => $"{Namespace}/{Name}";

    /// <summary>Whether a container of this pod declares <paramref name="name"/> as <paramref name="number"/> over <paramref name="protocol"/>.</summary>
    public bool DeclaresNamedPort(string name, PortProtocol protocol, int number)
    {
        foreach (ContainerPort port in Ports)
        {
            if (port.Protocol == protocol && port.Number == number && string.Equals(port.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public override string ToString() => Key;

    public bool Equals(Pod? other) => other is not null && Namespace == other.Namespace && Name == other.Name && NodeName == other.NodeName
        && HostNetwork == other.HostNetwork && Structural.Equal(Labels, other.Labels) && Structural.Equal(Addresses, other.Addresses) && Structural.Equal(Ports, other.Ports);

    public override int GetHashCode() => HashCode.Combine(Namespace, Name, Structural.Hash(Labels), Structural.Hash(Addresses));
}
