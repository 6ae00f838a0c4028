namespace Weave.Linux;

/// <summary>Netlink and rtnetlink constants with their C names (linux/netlink.h, linux/rtnetlink.h,
/// linux/if_link.h, linux/veth.h), and the sizes of the fixed structs, checked against the C headers
/// by NativeLayoutTests. All netlink integers are in host byte order.</summary>
public static class NetlinkConstants
{
    public const int AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    // struct sizes
    public const int NLMSG_HDRLEN = 16;     // sizeof(struct nlmsghdr)
    public const int IfInfoMsgSize = 16;    // sizeof(struct ifinfomsg)
    public const int RTA_HDRLEN = 4;        // sizeof(struct rtattr) == sizeof(struct nlattr)
    public const int NlMsgErrSize = 20;     // sizeof(struct nlmsgerr): int error + struct nlmsghdr
    public const int SockAddrNlSize = 12;   // sizeof(struct sockaddr_nl)
    public const int NLMSG_ALIGNTO = 4;
    public const int RTA_ALIGNTO = 4;

    // nlmsg_type: control messages
    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;

    // nlmsg_type: rtnetlink links
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_SETLINK = 19;

    // nlmsg_flags
    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_ACK = 0x04;
    public const ushort NLM_F_ECHO = 0x08;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_ROOT = 0x100;
    public const ushort NLM_F_MATCH = 0x200;
    public const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    public const ushort NLM_F_REPLACE = 0x100;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_CAPPED = 0x100;   // on NLMSG_ERROR: the request was not echoed
    public const ushort NLM_F_ACK_TLVS = 0x200; // on NLMSG_ERROR: extended ack attributes follow

    // struct nlmsgerr attributes (extended ack)
    public const ushort NLMSGERR_ATTR_MSG = 1;

    // rtattr type flags
    public const ushort NLA_F_NESTED = 0x8000;
    public const ushort NLA_F_NET_BYTEORDER = 0x4000;
    public const ushort NLA_TYPE_MASK = 0x3fff;

    // ifinfomsg.ifi_flags
    public const uint IFF_UP = 0x1;
    public const uint IFF_LOWER_UP = 0x10000;

    // IFLA_* attributes of RTM_*LINK
    public const ushort IFLA_UNSPEC = 0;
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_BROADCAST = 2;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_MASTER = 10;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_PID = 19;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_EXT_MASK = 29;

    // IFLA_LINKINFO nested attributes
    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_INFO_DATA = 2;

    // IFLA_INFO_DATA for kind "veth"
    public const ushort VETH_INFO_PEER = 1;
}
