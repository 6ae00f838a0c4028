using System.Net;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>Routes of the main table: RTM_NEWROUTE, RTM_DELROUTE and RTM_GETROUTE with struct rtmsg.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>
    /// Adds a unicast route to the main table, protocol boot (what <c>ip route add</c> uses), out
    /// through link <paramref name="index"/>, via <paramref name="gateway"/> when given. A default
    /// route is 0.0.0.0/0 (or ::/0). Idempotent: the request carries NLM_F_CREATE | NLM_F_REPLACE
    /// (<c>ip route replace</c>), so a route to the same destination with the same metric is
    /// replaced by this one, and adding the same route twice is not an error.
    /// </summary>
    /// <param name="destination">The network address: its host bits must be zero.</param>
    /// <param name="prefixLength">0 to 32 (IPv4) or 128 (IPv6).</param>
    /// <param name="gateway">The next hop, of the destination's family, or null for a route onto the link.</param>
    /// <param name="index">The output link (RTA_OIF). It must be up, or the kernel says ENETDOWN.</param>
    /// <param name="scope">Usually <see cref="RouteScope.Link"/> without a gateway, <see cref="RouteScope.Universe"/> with one.</param>
    /// <exception cref="LinuxError">With Errno ENETUNREACH when the gateway is not on a directly attached network, ENODEV for a missing link.</exception>
    public void AddRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int index, RouteScope scope) =>
        AddRoute(destination, prefixLength, gateway, index, scope, RTPROT_BOOT);

    /// <summary>
    /// As <see cref="AddRoute(IPAddress, int, IPAddress?, int, RouteScope)"/>, marked with
    /// <paramref name="protocol"/> (rtm_protocol, which the kernel keeps but does not interpret
    /// above RTPROT_STATIC, 4): a program's own number lets it find its routes again, in
    /// <see cref="ListRoutes(int, byte)"/> or with <c>ip route show proto N</c>.
    /// </summary>
    public void AddRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int index, RouteScope scope, byte protocol)
    {
        ValidateRoute(destination, prefixLength, gateway, index);
        lock (_gate)
        {
            uint sequence = NextSequence();
            Execute(EncodeNewRoute(_request, sequence, destination, prefixLength, gateway, index, scope, protocol), sequence,
                "add route " + DescribeRoute(destination, prefixLength, gateway, index));
        }
    }

    /// <summary>Deletes the main-table route to <paramref name="destination"/>/<paramref name="prefixLength"/>
    /// through link <paramref name="index"/> (and via <paramref name="gateway"/> when given), of any
    /// scope, protocol and metric. Returns false when there is no such route (ESRCH), which is not an error.</summary>
    public bool DeleteRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int index)
    {
        ValidateRoute(destination, prefixLength, gateway, index);
        lock (_gate)
        {
            uint sequence = NextSequence();
            return ExecuteUnlessErrno(EncodeDeleteRoute(_request, sequence, destination, prefixLength, gateway, index), sequence,
                Tmds.Linux.LibC.ESRCH, "delete route " + DescribeRoute(destination, prefixLength, gateway, index));
        }
    }

    /// <summary>The IPv4 and IPv6 unicast routes of the main table whose output link (RTA_OIF) is
    /// <paramref name="index"/>: those we added and those the kernel made for the link's addresses.
    /// Multipath routes, which have no single output link, are not listed.</summary>
    public IReadOnlyList<RouteInfo> ListRoutes(int index) => ListRoutes(index, protocol: null);

    /// <summary>As <see cref="ListRoutes(int)"/>, only the routes added with <paramref name="protocol"/>.</summary>
    public IReadOnlyList<RouteInfo> ListRoutes(int index, byte protocol) => ListRoutes(index, (byte?)protocol);

    private List<RouteInfo> ListRoutes(int index, byte? protocol)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ReplyCollector<RouteInfo> collect = (payload, routes) =>
        {
            if (!NetlinkParser.TryParseRoute(payload, out RouteReply? reply))
            {
                return false;
            }
            if (reply is { } r && r.Table == RT_TABLE_MAIN && r.Type == RTN_UNICAST && r.OutputIndex == index && (protocol is null || r.Protocol == protocol))
            {
                routes.Add(r.Route);
            }
            return true;
        };
        lock (_gate)
        {
            return DumpConsistent(RTM_GETROUTE, RTM_NEWROUTE, collect, "list routes on " + Describe(index),
                static (ref NetlinkMessage message) =>
                    message.WriteRtMsg(AF_UNSPEC, 0, RT_TABLE_MAIN, RTPROT_UNSPEC, RT_SCOPE_UNIVERSE, RTN_UNSPEC));
        }
    }

    /// <summary>The RTM_NEWROUTE request of <see cref="AddRoute"/>.</summary>
    internal static ReadOnlySpan<byte> EncodeNewRoute(Span<byte> buffer, uint sequence, IPAddress destination, int prefixLength, IPAddress? gateway, int index, RouteScope scope,
        byte protocol = RTPROT_BOOT)
    {
        byte family = ValidateRoute(destination, prefixLength, gateway, index);
        var message = new NetlinkMessage(buffer, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sequence);
        message.WriteRtMsg(family, (byte)prefixLength, RT_TABLE_MAIN, protocol, (byte)scope, RTN_UNICAST);
        WriteRouteAttributes(ref message, destination, prefixLength, gateway, index);
        return message.Finish();
    }

    /// <summary>The RTM_DELROUTE request of <see cref="DeleteRoute"/>. Protocol unspec, scope nowhere
    /// and type unspec match any, as in <c>ip route del</c>.</summary>
    internal static ReadOnlySpan<byte> EncodeDeleteRoute(Span<byte> buffer, uint sequence, IPAddress destination, int prefixLength, IPAddress? gateway, int index)
    {
        byte family = ValidateRoute(destination, prefixLength, gateway, index);
        var message = new NetlinkMessage(buffer, RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, sequence);
        message.WriteRtMsg(family, (byte)prefixLength, RT_TABLE_MAIN, RTPROT_UNSPEC, RT_SCOPE_NOWHERE, RTN_UNSPEC);
        WriteRouteAttributes(ref message, destination, prefixLength, gateway, index);
        return message.Finish();
    }

    private static void WriteRouteAttributes(ref NetlinkMessage message, IPAddress destination, int prefixLength, IPAddress? gateway, int index)
    {
        if (prefixLength > 0)
        {
            message.AddIPAddress(RTA_DST, destination);
        }
        if (gateway is not null)
        {
            message.AddIPAddress(RTA_GATEWAY, gateway);
        }
        message.AddUInt32(RTA_OIF, (uint)index);
    }

    private static byte ValidateRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        byte family = ValidatePrefix(destination, prefixLength, nameof(destination), nameof(prefixLength));
        if (gateway is not null && gateway.AddressFamily != destination.AddressFamily)
        {
            throw new ArgumentException($"Gateway {gateway} is not of the same family as {destination}.", nameof(gateway));
        }
        if (!HostBitsAreZero(destination, prefixLength))
        {
            throw new ArgumentException(
                $"{destination}/{prefixLength} is not a network address: its host bits are not zero.", nameof(destination));
        }
        return family;
    }

    private static bool HostBitsAreZero(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[16];
        _ = address.TryWriteBytes(bytes, out int length);
        for (int bit = prefixLength; bit < length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static string DescribeRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int index) =>
        gateway is null
            ? $"{destination}/{prefixLength} dev {Describe(index)}"
            : $"{destination}/{prefixLength} via {gateway} dev {Describe(index)}";
}
