using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weave.Linux.Netfilter;

/// <summary>
/// What one NFLOG message says about the packet a rule logged: the rule's prefix, the addresses,
/// the transport protocol (its IP protocol number in <see cref="ProtocolNumber"/>, the last
/// IPv6 extension header reached when the copy ends inside them) and, for TCP, UDP and SCTP when
/// the copied bytes hold them (not a later fragment), the ports.
/// </summary>
public readonly record struct LoggedPacket(
    string Prefix,
    IPAddress Source,
    IPAddress Destination,
    LoggedProtocol Protocol,
    byte ProtocolNumber,
    bool HasPorts,
    ushort SourcePort,
    ushort DestinationPort)
{
    /// <summary>InterNetwork or InterNetworkV6.</summary>
    public AddressFamily Family => Source.AddressFamily;

    /// <summary>For a log line: <c>in.prod.db: TCP 10.32.0.2:40000 -> 10.32.0.3:5432</c>.</summary>
    public override string ToString()
    {
        string protocol = Protocol == LoggedProtocol.Other
            ? "protocol " + ProtocolNumber.ToString(CultureInfo.InvariantCulture)
            : Protocol.ToString().ToUpperInvariant();
        return HasPorts
            ? $"{Prefix}: {protocol} {new IPEndPoint(Source, SourcePort)} -> {new IPEndPoint(Destination, DestinationPort)}"
            : $"{Prefix}: {protocol} {Source} -> {Destination}";
    }
}
