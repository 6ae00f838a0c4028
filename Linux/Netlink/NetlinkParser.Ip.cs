using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.InteropServices;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>One RTM_NEWADDR reply: the address and the interface it is on.</summary>
internal readonly record struct AddressReply(int Index, InterfaceAddress Address);

/// <summary>One RTM_NEWROUTE reply: the route plus what a caller filters on (table, type, RTA_OIF,
/// which is 0 for a route without one, such as a multipath route).</summary>
internal readonly record struct RouteReply(RouteInfo Route, uint Table, byte Type, int OutputIndex, byte Protocol);

/// <summary>Address and route replies (struct ifaddrmsg, struct rtmsg and their attributes).</summary>
internal static partial class NetlinkParser
{
    /// <summary>Parses the payload of an RTM_NEWADDR message. Returns true with a null
    /// <paramref name="reply"/> for families other than IPv4 and IPv6, which the caller skips.</summary>
    public static bool TryParseAddress(ReadOnlySpan<byte> payload, out AddressReply? reply)
    {
        reply = null;
        if (payload.Length < IfAddrMsgSize)
        {
            return false;
        }
        byte family = payload[0];
        byte prefixLength = payload[1];
        int index = MemoryMarshal.Read<int>(payload[4..]);
        if (family != AF_INET && family != AF_INET6)
        {
            return true;
        }
        int addressBytes = family == AF_INET ? 4 : 16;
        if (prefixLength > addressBytes * 8 || index <= 0)
        {
            return false;
        }
        IPAddress? local = null;
        IPAddress? address = null;
        ReadOnlySpan<byte> attributes = payload[IfAddrMsgSize..];
        while (!attributes.IsEmpty)
        {
            if (!TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
            {
                return false;
            }
            switch (type)
            {
                case IFA_LOCAL when !TryReadIPAddress(value, addressBytes, out local):
                case IFA_ADDRESS when !TryReadIPAddress(value, addressBytes, out address):
                    return false;
            }
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a point-to-point
        // link, and the only one sent for most IPv6 addresses.
        IPAddress? own = local ?? address;
        if (own is null)
        {
            return false;
        }
        reply = new AddressReply(index, new InterfaceAddress(own, prefixLength));
        return true;
    }

    /// <summary>Parses the payload of an RTM_NEWROUTE message. Returns true with a null
    /// <paramref name="reply"/> for families other than IPv4 and IPv6, which the caller skips.
    /// The table is RTA_TABLE when present (tables above 255), else rtm_table.</summary>
    public static bool TryParseRoute(ReadOnlySpan<byte> payload, out RouteReply? reply)
    {
        reply = null;
        if (payload.Length < RtMsgSize)
        {
            return false;
        }
        byte family = payload[0];
        byte prefixLength = payload[1];
        uint table = payload[4];
        byte protocol = payload[5];
        byte scope = payload[6];
        byte routeType = payload[7];
        if (family != AF_INET && family != AF_INET6)
        {
            return true;
        }
        int addressBytes = family == AF_INET ? 4 : 16;
        if (prefixLength > addressBytes * 8)
        {
            return false;
        }
        IPAddress? destination = null;
        IPAddress? gateway = null;
        int outputIndex = 0;
        ReadOnlySpan<byte> attributes = payload[RtMsgSize..];
        while (!attributes.IsEmpty)
        {
            if (!TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
            {
                return false;
            }
            switch (type)
            {
                case RTA_DST when !TryReadIPAddress(value, addressBytes, out destination):
                case RTA_GATEWAY when !TryReadIPAddress(value, addressBytes, out gateway):
                case RTA_OIF when !TryReadInt32(value, out outputIndex):
                case RTA_TABLE when !TryReadUInt32(value, out table):
                    return false;
            }
        }
        destination ??= family == AF_INET ? IPAddress.Any : IPAddress.IPv6Any;
        var route = new RouteInfo(destination, prefixLength, gateway, (RouteScope)scope);
        reply = new RouteReply(route, table, routeType, outputIndex, protocol);
        return true;
    }

    private static bool TryReadIPAddress(ReadOnlySpan<byte> value, int length, [NotNullWhen(true)] out IPAddress? address)
    {
        address = value.Length == length ? new IPAddress(value) : null;
        return address is not null;
    }

    private static bool TryReadUInt32(ReadOnlySpan<byte> value, out uint result)
    {
        result = 0;
        if (value.Length < sizeof(uint))
        {
            return false;
        }
        result = MemoryMarshal.Read<uint>(value);
        return true;
    }
}
