using System.Net;
using System.Net.Sockets;
using Tmds.Linux;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>Which link the kernel would use: a route lookup, the default route, the link holding an address.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>
    /// The output link (RTA_OIF) of the route the kernel would take to <paramref name="destination"/>:
    /// a single RTM_GETROUTE with RTA_DST, what <c>ip route get</c> asks (policy rules and all tables
    /// count). A local address gives the loopback link. Null when there is no route (ENETUNREACH,
    /// EHOSTUNREACH) or the answer names no link.
    /// </summary>
    public int? GetRouteOutputIndex(IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        lock (_gate)
        {
            uint sequence = NextSequence();
            RouteReply? reply = Query<RouteReply?>(EncodeGetRoute(_request, sequence, destination), sequence, RTM_NEWROUTE,
                NetlinkParser.TryParseRoute, [LibC.ENETUNREACH, LibC.EHOSTUNREACH], $"get route to {destination}");
            return reply is { OutputIndex: > 0 } found ? found.OutputIndex : null;
        }
    }

    /// <summary>The output link of the main table's default route (0.0.0.0/0 or ::/0) of
    /// <paramref name="family"/>; with several, the first the kernel lists (the lowest metric).
    /// Null when there is none.</summary>
    public int? GetDefaultRouteOutputIndex(AddressFamily family)
    {
        byte wanted = family switch
        {
            AddressFamily.InterNetwork => AF_INET,
            AddressFamily.InterNetworkV6 => AF_INET6,
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "IPv4 or IPv6"),
        };
        ReplyCollector<int> collect = static (payload, indexes) =>
        {
            if (!NetlinkParser.TryParseRoute(payload, out RouteReply? reply))
            {
                return false;
            }
            if (reply is { Route.PrefixLength: 0, Table: RT_TABLE_MAIN, Type: RTN_UNICAST, OutputIndex: > 0 } r)
            {
                indexes.Add(r.OutputIndex);
            }
            return true;
        };
        List<int> indexes;
        lock (_gate)
        {
            indexes = DumpConsistent(RTM_GETROUTE, RTM_NEWROUTE, collect, "list default routes",
                (ref NetlinkMessage message) => message.WriteRtMsg(wanted, 0, RT_TABLE_MAIN, RTPROT_UNSPEC, RT_SCOPE_UNIVERSE, RTN_UNSPEC));
        }
        return indexes.Count > 0 ? indexes[0] : null;
    }

    /// <summary>The index of the link that holds <paramref name="address"/>, or null when none does.</summary>
    public int? FindLinkWithAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ReplyCollector<int> collect = (payload, indexes) =>
        {
            if (!NetlinkParser.TryParseAddress(payload, out AddressReply? reply))
            {
                return false;
            }
            if (reply is { } r && r.Address.Address.Equals(address))
            {
                indexes.Add(r.Index);
            }
            return true;
        };
        List<int> indexes;
        lock (_gate)
        {
            indexes = DumpConsistent(RTM_GETADDR, RTM_NEWADDR, collect, $"find the link with address {address}",
                static (ref NetlinkMessage message) => message.WriteIfAddrMsg(AF_UNSPEC, 0, 0));
        }
        return indexes.Count > 0 ? indexes[0] : null;
    }

    /// <summary>The RTM_GETROUTE request of <see cref="GetRouteOutputIndex"/>: a host route lookup.</summary>
    internal static ReadOnlySpan<byte> EncodeGetRoute(Span<byte> buffer, uint sequence, IPAddress destination)
    {
        int bits = destination.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        byte family = ValidatePrefix(destination, bits, nameof(destination), nameof(destination));
        var message = new NetlinkMessage(buffer, RTM_GETROUTE, NLM_F_REQUEST, sequence);
        message.WriteRtMsg(family, (byte)bits, RT_TABLE_UNSPEC, RTPROT_UNSPEC, RT_SCOPE_UNIVERSE, RTN_UNSPEC);
        message.AddIPAddress(RTA_DST, destination);
        return message.Finish();
    }
}
