using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Weave.Linux.Netfilter;

/// <summary>
/// Reads addresses, transport protocol and ports from the copy of a packet that NFLOG sends,
/// which starts at the IP header and may end anywhere (the copy range cuts it). A header the copy
/// does not hold whole, or whose fields contradict each other, is refused; ports the copy does not
/// reach are simply absent.
/// </summary>
internal static class IpHeaderReader
{
    private const int Ipv4MinHeaderBytes = 20;
    private const int Ipv6HeaderBytes = 40;
    private const int PortBytes = 4; // source and destination port: the first 4 bytes of TCP, UDP and SCTP

    /// <summary>IPv6 extension headers walked before giving up on finding the transport header.</summary>
    private const int MaxExtensionHeaders = 8;

    private const byte Tcp = 6;
    private const byte Udp = 17;
    private const byte Sctp = 132;
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte AuthenticationHeader = 51;
    private const byte DestinationOptions = 60;

    /// <summary>Reads an IPv4 (<paramref name="version"/> 4) or IPv6 (6) packet into a
    /// <see cref="LoggedPacket"/> whose prefix is empty.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, int version, out LoggedPacket result, [NotNullWhen(false)] out string? refusal)
    {
        result = default;
        if (packet.IsEmpty)
        {
            refusal = "the payload is empty";
            return false;
        }
        if (packet[0] >> 4 != version)
        {
            refusal = $"the payload is IP version {packet[0] >> 4}, the message says {version}";
            return false;
        }
        return version == 4 ? TryReadIpv4(packet, out result, out refusal) : TryReadIpv6(packet, out result, out refusal);
    }

    private static bool TryReadIpv4(ReadOnlySpan<byte> packet, out LoggedPacket result, [NotNullWhen(false)] out string? refusal)
    {
        result = default;
        if (packet.Length < Ipv4MinHeaderBytes)
        {
            refusal = $"the IPv4 header is cut short at {packet.Length} bytes";
            return false;
        }
        int headerBytes = (packet[0] & 0x0f) * 4;
        int totalBytes = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerBytes < Ipv4MinHeaderBytes || headerBytes > packet.Length || totalBytes < headerBytes)
        {
            refusal = $"the IPv4 header length {headerBytes} does not fit the {packet.Length} bytes copied and total length {totalBytes}";
            return false;
        }
        bool laterFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1fff) != 0;
        byte protocol = packet[9];
        ReadOnlySpan<byte> transport = packet[headerBytes..Math.Min(totalBytes, packet.Length)];
        result = Summarize(new IPAddress(packet[12..16]), new IPAddress(packet[16..20]), protocol, laterFragment ? default : transport);
        refusal = null;
        return true;
    }

    private static bool TryReadIpv6(ReadOnlySpan<byte> packet, out LoggedPacket result, [NotNullWhen(false)] out string? refusal)
    {
        result = default;
        if (packet.Length < Ipv6HeaderBytes)
        {
            refusal = $"the IPv6 header is cut short at {packet.Length} bytes";
            return false;
        }
        int payloadBytes = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        // Payload length 0 is a jumbogram (its length is in a hop-by-hop option): take what was copied.
        int end = payloadBytes == 0 ? packet.Length : Math.Min(Ipv6HeaderBytes + payloadBytes, packet.Length);
        byte next = packet[6];
        ReadOnlySpan<byte> rest = packet[Ipv6HeaderBytes..end];
        bool reachedTransport = false;
        for (int i = 0; i < MaxExtensionHeaders && !reachedTransport; i++)
        {
            int length;
            switch (next)
            {
                case HopByHop or Routing or DestinationOptions when rest.Length >= 2:
                    length = (rest[1] + 1) * 8;
                    break;
                case AuthenticationHeader when rest.Length >= 2:
                    length = (rest[1] + 2) * 4;
                    break;
                case Fragment when rest.Length >= 8:
                    length = 8;
                    if ((BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) & 0xfff8) != 0)
                    {
                        // A later fragment: its transport header is in the first one.
                        next = rest[0];
                        rest = default;
                        reachedTransport = true;
                        continue;
                    }
                    break;
                case HopByHop or Routing or DestinationOptions or AuthenticationHeader or Fragment:
                    length = int.MaxValue; // cut short inside the extension header
                    break;
                default:
                    reachedTransport = true;
                    continue;
            }
            if (length > rest.Length)
            {
                rest = default;
                break; // the copy ends inside the extension headers: no transport header
            }
            next = rest[0];
            rest = rest[length..];
        }
        if (!reachedTransport)
        {
            rest = default;
        }
        result = Summarize(new IPAddress(packet[8..24]), new IPAddress(packet[24..40]), next, rest);
        refusal = null;
        return true;
    }

    /// <summary>The packet with ports when <paramref name="transport"/> (empty when out of reach) holds them.</summary>
    private static LoggedPacket Summarize(IPAddress source, IPAddress destination, byte protocol, ReadOnlySpan<byte> transport)
    {
        LoggedProtocol known = protocol switch
        {
            Tcp => LoggedProtocol.Tcp,
            Udp => LoggedProtocol.Udp,
            Sctp => LoggedProtocol.Sctp,
            _ => LoggedProtocol.Other,
        };
        bool hasPorts = known != LoggedProtocol.Other && transport.Length >= PortBytes;
        return new LoggedPacket(
            Prefix: "",
            source,
            destination,
            known,
            protocol,
            hasPorts,
            hasPorts ? BinaryPrimitives.ReadUInt16BigEndian(transport) : (ushort)0,
            hasPorts ? BinaryPrimitives.ReadUInt16BigEndian(transport[2..]) : (ushort)0);
    }
}
