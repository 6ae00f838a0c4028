namespace Weave.Npc.Enforcement;

/// <summary>Addresses × one protocol × a port range: one element of a <see cref="FoldedSet"/>.</summary>
public readonly record struct FoldedBox(AddressInterval Addresses, PortProtocol Protocol, int FirstPort, int LastPort)
{
    /// <summary>As nft writes an element of an <c>ipv4_addr . inet_proto . inet_service</c> interval set.</summary>
    public override string ToString() =>
        $"{Addresses} . {EnforcementNames.Protocol(Protocol)} . {(FirstPort == LastPort ? FirstPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{FirstPort}-{LastPort}")}";
}
