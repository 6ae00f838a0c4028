namespace Weave.Linux;

/// <summary>Netlink and rtnetlink constants with their C names (linux/netlink.h, linux/rtnetlink.h,
/// linux/if_link.h, linux/veth.h, linux/if_addr.h, linux/if_bridge.h, linux/neighbour.h), and the sizes of the fixed structs, checked against the C headers
/// by NativeLayoutTests. All netlink integers are in host byte order.</summary>
public static class NetlinkConstants
{
    public const int NETLINK_ROUTE = 0;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    // struct sizes
    public const int NLMSG_HDRLEN = 16;     // sizeof(struct nlmsghdr)
    public const int IfInfoMsgSize = 16;    // sizeof(struct ifinfomsg)
    public const int IfAddrMsgSize = 8;     // sizeof(struct ifaddrmsg)
    public const int RtMsgSize = 12;        // sizeof(struct rtmsg)
    public const int NdMsgSize = 12;        // sizeof(struct ndmsg)
    public const int NfGenMsgSize = 4;      // sizeof(struct nfgenmsg)
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

    // nlmsg_type: rtnetlink addresses and routes
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_DELROUTE = 25;
    public const ushort RTM_GETROUTE = 26;

    // nlmsg_type: rtnetlink neighbours (with AF_BRIDGE: forwarding-database entries)
    public const ushort RTM_NEWNEIGH = 28;
    public const ushort RTM_DELNEIGH = 29;
    public const ushort RTM_GETNEIGH = 30;

    // address families (ifi_family, ifa_family, rtm_family)
    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_BRIDGE = 7;
    public const byte AF_INET6 = 10;

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
    public const ushort NLM_F_APPEND = 0x800;
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
    public const ushort IFLA_PROTINFO = 12;
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

    // IFLA_INFO_DATA for kind "vxlan"
    public const ushort IFLA_VXLAN_ID = 1;
    public const ushort IFLA_VXLAN_LOCAL = 4;
    public const ushort IFLA_VXLAN_LEARNING = 7;
    public const ushort IFLA_VXLAN_PORT_RANGE = 10;
    public const ushort IFLA_VXLAN_PORT = 15;
    public const ushort IFLA_VXLAN_LOCAL6 = 17;

    // IFLA_PROTINFO nested attributes of a bridge port (AF_BRIDGE messages)
    public const ushort IFLA_BRPORT_MODE = 4; // u8: hairpin mode
    public const ushort IFLA_BRPORT_LEARNING = 8;        // u8
    public const ushort IFLA_BRPORT_UNICAST_FLOOD = 9;   // u8: unknown unicast
    public const ushort IFLA_BRPORT_MCAST_FLOOD = 27;    // u8
    public const ushort IFLA_BRPORT_BCAST_FLOOD = 30;    // u8
    public const ushort IFLA_BRPORT_ISOLATED = 33;       // u8: no forwarding to other isolated ports

    // IFA_* attributes of RTM_*ADDR
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_BROADCAST = 4;

    // RTA_* attributes of RTM_*ROUTE
    public const ushort RTA_DST = 1;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_TABLE = 15;

    // NDA_* attributes of RTM_*NEIGH
    public const ushort NDA_DST = 1;
    public const ushort NDA_LLADDR = 2;
    public const ushort NDA_MASTER = 9;

    // ndmsg.ndm_flags
    public const byte NTF_SELF = 0x02;
    public const byte NTF_MASTER = 0x04;
    public const byte NTF_STICKY = 0x40;

    // ndmsg.ndm_state
    public const ushort NUD_NOARP = 0x40;
    public const ushort NUD_PERMANENT = 0x80;

    // rtmsg.rtm_table
    public const byte RT_TABLE_UNSPEC = 0;
    public const byte RT_TABLE_MAIN = 254;

    // rtmsg.rtm_protocol
    public const byte RTPROT_UNSPEC = 0;
    public const byte RTPROT_KERNEL = 2;
    public const byte RTPROT_BOOT = 3;
    public const byte RTPROT_STATIC = 4;

    // rtmsg.rtm_scope and ifaddrmsg.ifa_scope (enum rt_scope_t)
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_HOST = 254;
    public const byte RT_SCOPE_NOWHERE = 255;

    // rtmsg.rtm_type
    public const byte RTN_UNSPEC = 0;
    public const byte RTN_UNICAST = 1;
}
