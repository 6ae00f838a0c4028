using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>One struct nlmsghdr as received.</summary>
internal readonly record struct NetlinkHeader(int Length, ushort Type, ushort Flags, uint Sequence, uint PortId);

/// <summary>
/// Parses netlink replies. Kernel bytes are checked like any other input: every length is
/// validated against what was actually received before it is used, and malformed input makes a
/// Try* method return false; nothing here throws on bad bytes.
/// </summary>
internal static partial class NetlinkParser
{
    /// <summary>Splits the next message off <paramref name="datagram"/> and advances past it.</summary>
    public static bool TryReadMessage(ref ReadOnlySpan<byte> datagram, out NetlinkHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (datagram.Length < NLMSG_HDRLEN)
        {
            return false;
        }
        uint length = MemoryMarshal.Read<uint>(datagram);
        if (length < NLMSG_HDRLEN || length > (uint)datagram.Length)
        {
            return false;
        }
        header = new NetlinkHeader(
            (int)length,
            MemoryMarshal.Read<ushort>(datagram[4..]),
            MemoryMarshal.Read<ushort>(datagram[6..]),
            MemoryMarshal.Read<uint>(datagram[8..]),
            MemoryMarshal.Read<uint>(datagram[12..]));
        payload = datagram[NLMSG_HDRLEN..(int)length];
        datagram = datagram[Math.Min(NetlinkMessage.Align((int)length), datagram.Length)..];
        return true;
    }

    /// <summary>Reads the next rtattr and advances past it (and its padding). The type is returned
    /// without the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits.</summary>
    public static bool TryReadAttribute(ref ReadOnlySpan<byte> attributes, out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (attributes.Length < RTA_HDRLEN)
        {
            return false;
        }
        ushort length = MemoryMarshal.Read<ushort>(attributes);
        if (length < RTA_HDRLEN || length > attributes.Length)
        {
            return false;
        }
        type = (ushort)(MemoryMarshal.Read<ushort>(attributes[2..]) & NLA_TYPE_MASK);
        value = attributes[RTA_HDRLEN..length];
        attributes = attributes[Math.Min(NetlinkMessage.Align(length), attributes.Length)..];
        return true;
    }

    /// <summary>
    /// Parses a NLMSG_ERROR payload (struct nlmsgerr). <paramref name="errno"/> is 0 for an ack.
    /// When the kernel added extended-ack attributes (NLM_F_ACK_TLVS), <paramref name="message"/>
    /// is its NLMSGERR_ATTR_MSG text; malformed extended-ack data is ignored, not fatal.
    /// </summary>
    public static bool TryParseError(ReadOnlySpan<byte> payload, ushort flags, out int errno, out string? message)
    {
        errno = 0;
        message = null;
        if (payload.Length < sizeof(int))
        {
            return false;
        }
        int error = MemoryMarshal.Read<int>(payload);
        if (error > 0 || error == int.MinValue)
        {
            return false;
        }
        errno = -error;
        if ((flags & NLM_F_ACK_TLVS) == 0 || payload.Length < NlMsgErrSize)
        {
            return true;
        }
        // The request is echoed after the error code: only its header when capped or for an ack.
        int echoed = NLMSG_HDRLEN;
        if ((flags & NLM_F_CAPPED) == 0 && error != 0)
        {
            echoed = (int)Math.Min(MemoryMarshal.Read<uint>(payload[sizeof(int)..]), int.MaxValue - 8);
        }
        int tlvStart = sizeof(int) + NetlinkMessage.Align(Math.Max(echoed, NLMSG_HDRLEN));
        if (tlvStart > payload.Length)
        {
            return true;
        }
        ReadOnlySpan<byte> attributes = payload[tlvStart..];
        while (!attributes.IsEmpty && TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
        {
            if (type == NLMSGERR_ATTR_MSG)
            {
                message = ReadString(value);
            }
        }
        return true;
    }

    /// <summary>Parses the int error that ends a dump (NLMSG_DONE). Old kernels send none: 0.</summary>
    public static bool TryParseDone(ReadOnlySpan<byte> payload, out int errno)
    {
        errno = 0;
        if (payload.IsEmpty)
        {
            return true;
        }
        if (payload.Length < sizeof(int))
        {
            return false;
        }
        int error = MemoryMarshal.Read<int>(payload);
        if (error > 0 || error == int.MinValue)
        {
            return false;
        }
        errno = -error;
        return true;
    }

    /// <summary>Parses the payload of an RTM_NEWLINK message: struct ifinfomsg plus IFLA_* attributes.</summary>
    public static bool TryParseLink(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out LinkInfo? link)
    {
        link = null;
        if (payload.Length < IfInfoMsgSize)
        {
            return false;
        }
        int index = MemoryMarshal.Read<int>(payload[4..]);
        uint flags = MemoryMarshal.Read<uint>(payload[8..]);
        if (index <= 0)
        {
            return false;
        }
        string? name = null;
        string? kind = null;
        int mtu = 0;
        int master = 0;
        byte[] mac = [];
        ReadOnlySpan<byte> attributes = payload[IfInfoMsgSize..];
        while (!attributes.IsEmpty)
        {
            if (!TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
            {
                return false;
            }
            switch (type)
            {
                case IFLA_IFNAME:
                    name = ReadString(value);
                    break;
                case IFLA_MTU when !TryReadInt32(value, out mtu):
                case IFLA_MASTER when !TryReadInt32(value, out master):
                case IFLA_LINKINFO when !TryReadKind(value, out kind):
                    return false;
                case IFLA_ADDRESS:
                    mac = value.ToArray();
                    break;
            }
        }
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }
        link = new LinkInfo(index, name, kind, mtu, (flags & IFF_UP) != 0, master, mac);
        return true;
    }

    /// <summary>
    /// Parses the payload of an RTM_NEWNEIGH message: struct ndmsg plus NDA_* attributes. Returns
    /// true with a null <paramref name="entry"/> for families other than AF_BRIDGE (ARP and NDP
    /// neighbours), which the caller skips. A bridge entry has a 6-byte MAC.
    /// </summary>
    public static bool TryParseFdb(ReadOnlySpan<byte> payload, out FdbEntry? entry)
    {
        entry = null;
        if (payload.Length < NdMsgSize)
        {
            return false;
        }
        if (payload[0] != AF_BRIDGE)
        {
            return true;
        }
        int index = MemoryMarshal.Read<int>(payload[4..]);
        ushort state = MemoryMarshal.Read<ushort>(payload[8..]);
        byte flags = payload[10];
        if (index <= 0)
        {
            return false;
        }
        ulong? mac = null;
        IPAddress? destination = null;
        int master = 0;
        ReadOnlySpan<byte> attributes = payload[NdMsgSize..];
        while (!attributes.IsEmpty)
        {
            if (!TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
            {
                return false;
            }
            switch (type)
            {
                case NDA_LLADDR when value.Length != MacAddress48.SizeBytes:
                case NDA_DST when !TryReadIPAddress(value, value.Length == 4 ? 4 : 16, out destination):
                case NDA_MASTER when !TryReadInt32(value, out master):
                    return false;
                case NDA_LLADDR:
                    mac = MacAddress48.Read(value);
                    break;
            }
        }
        if (mac is null)
        {
            return false;
        }
        entry = new FdbEntry(index, mac.Value, destination, state, flags, master);
        return true;
    }

    /// <summary>Reads a u32 attribute that must fit an int (an MTU, an ifindex).</summary>
    private static bool TryReadInt32(ReadOnlySpan<byte> value, out int result)
    {
        result = 0;
        if (value.Length < sizeof(uint))
        {
            return false;
        }
        uint raw = MemoryMarshal.Read<uint>(value);
        if (raw > int.MaxValue)
        {
            return false;
        }
        result = (int)raw;
        return true;
    }

    private static bool TryReadKind(ReadOnlySpan<byte> linkInfo, out string? kind)
    {
        kind = null;
        while (!linkInfo.IsEmpty)
        {
            if (!TryReadAttribute(ref linkInfo, out ushort type, out ReadOnlySpan<byte> value))
            {
                return false;
            }
            if (type == IFLA_INFO_KIND)
            {
                kind = ReadString(value);
            }
        }
        return true;
    }

    /// <summary>A string attribute up to its first NUL (or its end, if the kernel left none).</summary>
    private static string ReadString(ReadOnlySpan<byte> value)
    {
        int nul = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
    }
}
