using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weave.Npc;

namespace Weave.Router.Policy;

/// <summary>
/// The flow <c>weave npc explain SRC DST PORT/PROTO</c> asks about: each end a pod as
/// <c>namespace/name</c> or an address, the port as <c>80/TCP</c> (TCP when no protocol is given).
/// What the operator typed is checked here, and refused with what was wrong.
/// </summary>
internal static class FlowQuery
{
    public static bool TryParse(PolicySnapshot snapshot, string? source, string? destination, string? port,
        [NotNullWhen(true)] out Flow? flow, out string error)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        flow = null;
        if (!TryPort(port, out PortProtocol protocol, out int number, out error)
            || !TryEnd(snapshot, "source", source, out Pod? sourcePod, out IPAddress? sourceAddress, out error)
            || !TryEnd(snapshot, "destination", destination, out Pod? destinationPod, out IPAddress? destinationAddress, out error))
        {
            return false;
        }
        // A pod named by name: its address of the other end's family when it has one.
        sourceAddress ??= Pick(sourcePod!, destinationAddress?.AddressFamily);
        destinationAddress ??= Pick(destinationPod!, sourceAddress.AddressFamily);
        flow = new Flow(EndpointOf(snapshot, sourcePod, sourceAddress), EndpointOf(snapshot, destinationPod, destinationAddress), protocol, number);
        return true;
    }

    private static FlowEndpoint EndpointOf(PolicySnapshot snapshot, Pod? pod, IPAddress address) =>
        pod is null ? snapshot.Engine.Endpoint(address) : FlowEndpoint.OfPod(pod, address);

    private static IPAddress Pick(Pod pod, AddressFamily? family) =>
        pod.Addresses.FirstOrDefault(a => a.AddressFamily == family) ?? pod.Addresses[0];

    private static bool TryEnd(PolicySnapshot snapshot, string which, string? text, out Pod? pod, out IPAddress? address, out string error)
    {
        pod = null;
        address = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"no {which}: give a pod as namespace/name, or an address";
            return false;
        }
        if (text.Contains('/', StringComparison.Ordinal))
        {
            pod = snapshot.Pods.FirstOrDefault(p => p.Key == text);
            if (pod is null)
            {
                error = $"{which} {text}: no such pod (or it has finished), as far as the controller knows";
                return false;
            }
            if (pod.Addresses.IsEmpty)
            {
                error = $"{which} {text}: the pod has no address yet";
                return false;
            }
            return true;
        }
        if (StrictAddress.TryParse(text, out address))
        {
            return true;
        }
        error = $"{which} '{text}' is neither namespace/name nor an IPv4 or IPv6 address";
        return false;
    }

    private static bool TryPort(string? text, out PortProtocol protocol, out int number, out string error)
    {
        protocol = PortProtocol.Tcp;
        number = 0;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "no port: give it as PORT/PROTOCOL, e.g. 80/TCP";
            return false;
        }
        string[] parts = text.Split('/');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535)
        {
            error = $"port '{text}': want PORT/PROTOCOL with a port from 1 to 65535, e.g. 80/TCP";
            return false;
        }
        if (parts.Length == 2)
        {
            switch (parts[1].ToUpperInvariant())
            {
                case "TCP": protocol = PortProtocol.Tcp; break;
                case "UDP": protocol = PortProtocol.Udp; break;
                case "SCTP": protocol = PortProtocol.Sctp; break;
                default:
                    error = $"port '{text}': the protocol must be TCP, UDP or SCTP";
                    return false;
            }
        }
        return true;
    }
}
