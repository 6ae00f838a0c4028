namespace Weave.Linux.Netfilter;

/// <summary>
/// nfnetlink_log constants with their C names (linux/netfilter/nfnetlink.h,
/// linux/netfilter/nfnetlink_log.h, linux/netfilter/nf_log.h) and the sizes of its structs. Unlike
/// rtnetlink, the values of NFLOG attributes and the nfgenmsg resource id are big-endian.
/// </summary>
public static class NflogConstants
{
    public const int NETLINK_NETFILTER = 12;

    /// <summary>The nfnetlink subsystem of NFLOG, the high byte of nlmsg_type.</summary>
    public const byte NFNL_SUBSYS_ULOG = 4;

    // nlmsg_type low byte
    public const byte NFULNL_MSG_PACKET = 0;
    public const byte NFULNL_MSG_CONFIG = 1;

    public const ushort PacketMessageType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
    public const ushort ConfigMessageType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;


    // NFULA_CFG_* attributes of NFULNL_MSG_CONFIG
    public const ushort NFULA_CFG_CMD = 1;      // struct nfulnl_msg_config_cmd { u8 command; }
    public const ushort NFULA_CFG_MODE = 2;     // struct nfulnl_msg_config_mode
    public const ushort NFULA_CFG_NLBUFSIZ = 3; // __be32 bytes
    public const ushort NFULA_CFG_TIMEOUT = 4;  // __be32 hundredths of a second
    public const ushort NFULA_CFG_QTHRESH = 5;  // __be32 packets

    // enum nfulnl_msg_config_cmds
    public const byte NFULNL_CFG_CMD_BIND = 1;
    public const byte NFULNL_CFG_CMD_UNBIND = 2;
    public const byte NFULNL_CFG_CMD_PF_BIND = 3;
    public const byte NFULNL_CFG_CMD_PF_UNBIND = 4;

    /// <summary>struct nfulnl_msg_config_mode { __be32 copy_range; u8 copy_mode; u8 _pad; } (packed).</summary>
    public const int NfulnlMsgConfigModeSize = 6;
    public const byte NFULNL_COPY_PACKET = 2;

    // enum nfulnl_attr_type: attributes of NFULNL_MSG_PACKET
    public const ushort NFULA_PACKET_HDR = 1;      // struct nfulnl_msg_packet_hdr
    public const ushort NFULA_IFINDEX_OUTDEV = 5;  // __be32
    public const ushort NFULA_PAYLOAD = 9;         // the packet from its network header, up to the copy range
    public const ushort NFULA_PREFIX = 10;         // NUL-terminated string

    /// <summary>struct nfulnl_msg_packet_hdr { __be16 hw_protocol; u8 hook; u8 _pad; }.</summary>
    public const int NfulnlMsgPacketHdrSize = 4;

    /// <summary>NF_LOG_PREFIXLEN: the longest prefix the kernel keeps, its NUL included.</summary>
    public const int NF_LOG_PREFIXLEN = 128;

    // hw_protocol (linux/if_ether.h)
    public const ushort ETH_P_IP = 0x0800;
    public const ushort ETH_P_IPV6 = 0x86DD;

    // nfgen_family (NFPROTO_*) values that name the network protocol themselves
    public const byte NFPROTO_IPV4 = 2;
    public const byte NFPROTO_IPV6 = 10;
}
