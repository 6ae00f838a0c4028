using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tmds.Linux;
using Weave.Linux;
using Weave.Linux.Netfilter;
using Xunit;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Linux;

/// <summary>
/// Compiles a C program against the system headers and compares its sizes and constants with our
/// hand-written ones (the approach of Tmds.LibC's StructTests). Skipped when gcc is missing.
/// </summary>
public sealed class NativeLayoutTests
{
    /// <summary>(C expression, our value). Every expression is printed as an unsigned long.</summary>
    private static readonly (string C, ulong Ours)[] s_checks =
    [
        ("sizeof(struct ifreq)", TunConstants.IfReqSize),
        ("offsetof(struct ifreq, ifr_flags)", TunConstants.IfReqFlagsOffset),
        ("IFNAMSIZ", InterfaceName.IFNAMSIZ),
        ("TUNSETIFF", TunConstants.TUNSETIFF),
        ("TUNSETPERSIST", TunConstants.TUNSETPERSIST),
        ("IFF_TUN", (ulong)TunConstants.IFF_TUN),
        ("IFF_TAP", (ulong)TunConstants.IFF_TAP),
        ("IFF_NO_PI", (ulong)TunConstants.IFF_NO_PI),
        ("IFF_VNET_HDR", (ulong)TunConstants.IFF_VNET_HDR),
        ("TUNSETOFFLOAD", TunConstants.TUNSETOFFLOAD),
        ("TUNGETVNETHDRSZ", TunConstants.TUNGETVNETHDRSZ),
        ("TUNSETVNETHDRSZ", TunConstants.TUNSETVNETHDRSZ),
        ("TUN_F_CSUM", TunConstants.TUN_F_CSUM),
        ("TUN_F_TSO4", TunConstants.TUN_F_TSO4),
        ("TUN_F_TSO6", TunConstants.TUN_F_TSO6),
        ("TUN_F_TSO_ECN", TunConstants.TUN_F_TSO_ECN),
        ("TUN_F_UFO", TunConstants.TUN_F_UFO),
        // TUN_F_USO4/6 and VIRTIO_NET_HDR_GSO_UDP_L4 came with Linux 6.2, after Debian 12's headers (6.1).
        ("sizeof(struct virtio_net_hdr)", VirtioNetHeader.Size),
        ("sizeof(struct virtio_net_hdr_mrg_rxbuf)", VirtioNetHeader.SizeWithNumBuffers),
        ("offsetof(struct virtio_net_hdr, flags)", 0),
        ("offsetof(struct virtio_net_hdr, gso_type)", 1),
        ("offsetof(struct virtio_net_hdr, hdr_len)", 2),
        ("offsetof(struct virtio_net_hdr, gso_size)", 4),
        ("offsetof(struct virtio_net_hdr, csum_start)", 6),
        ("offsetof(struct virtio_net_hdr, csum_offset)", 8),
        ("VIRTIO_NET_HDR_F_NEEDS_CSUM", VirtioNetHeader.FlagNeedsChecksum),
        ("VIRTIO_NET_HDR_F_DATA_VALID", VirtioNetHeader.FlagDataValid),
        ("VIRTIO_NET_HDR_F_RSC_INFO", VirtioNetHeader.FlagRscInfo),
        ("VIRTIO_NET_HDR_GSO_NONE", VirtioNetHeader.GsoNone),
        ("VIRTIO_NET_HDR_GSO_TCPV4", VirtioNetHeader.GsoTcpV4),
        ("VIRTIO_NET_HDR_GSO_UDP", VirtioNetHeader.GsoUdp),
        ("VIRTIO_NET_HDR_GSO_TCPV6", VirtioNetHeader.GsoTcpV6),
        ("VIRTIO_NET_HDR_GSO_ECN", VirtioNetHeader.GsoEcn),
        ("sizeof(struct msghdr)", (ulong)Unsafe.SizeOf<SocketNative.MsgHdr>()),
        ("offsetof(struct msghdr, msg_namelen)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.NameLength))),
        ("offsetof(struct msghdr, msg_iov)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.Iov))),
        ("offsetof(struct msghdr, msg_iovlen)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.IovLength))),
        ("offsetof(struct msghdr, msg_control)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.Control))),
        ("offsetof(struct msghdr, msg_controllen)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.ControlLength))),
        ("offsetof(struct msghdr, msg_flags)", Offset<SocketNative.MsgHdr>(nameof(SocketNative.MsgHdr.Flags))),
        ("sizeof(struct mmsghdr)", (ulong)Unsafe.SizeOf<SocketNative.MMsgHdr>()),
        ("offsetof(struct mmsghdr, msg_len)", Offset<SocketNative.MMsgHdr>(nameof(SocketNative.MMsgHdr.Length))),
        ("sizeof(struct iovec)", (ulong)Unsafe.SizeOf<SocketNative.IoVec>()),
        ("sizeof(struct cmsghdr)", (ulong)Unsafe.SizeOf<SocketNative.CMsgHdr>()),
        ("offsetof(struct cmsghdr, cmsg_level)", Offset<SocketNative.CMsgHdr>(nameof(SocketNative.CMsgHdr.Level))),
        ("offsetof(struct cmsghdr, cmsg_type)", Offset<SocketNative.CMsgHdr>(nameof(SocketNative.CMsgHdr.Type))),
        ("CMSG_LEN(0)", SocketNative.CMsgHeaderSize),
        ("CMSG_LEN(sizeof(uint16_t))", (ulong)SocketNative.CMsgLength(2)),
        ("CMSG_SPACE(sizeof(uint16_t))", (ulong)SocketNative.CMsgSpace(2)),
        ("CMSG_SPACE(sizeof(int))", (ulong)SocketNative.CMsgSpace(4)),
        ("sizeof(struct sockaddr_in)", SocketNative.SockAddrInSize),
        ("sizeof(struct sockaddr_in6)", SocketNative.SockAddrIn6Size),
        ("offsetof(struct sockaddr_in6, sin6_addr)", 8),
        ("offsetof(struct sockaddr_in6, sin6_scope_id)", 24),
        ("AF_INET", SocketNative.AF_INET),
        ("AF_INET6", SocketNative.AF_INET6),
        ("SOL_UDP", SocketNative.SOL_UDP),
        ("UDP_SEGMENT", SocketNative.UDP_SEGMENT),
        ("UDP_GRO", SocketNative.UDP_GRO),
        ("MSG_TRUNC", 0x20),
        ("sizeof(struct nlmsghdr)", NLMSG_HDRLEN),
        ("sizeof(struct ifinfomsg)", IfInfoMsgSize),
        ("sizeof(struct rtattr)", RTA_HDRLEN),
        ("sizeof(struct nlmsgerr)", NlMsgErrSize),
        ("sizeof(struct sockaddr_nl)", SockAddrNlSize),
        ("offsetof(struct sockaddr_nl, nl_pid)", 4),
        ("offsetof(struct ifinfomsg, ifi_index)", 4),
        ("offsetof(struct ifinfomsg, ifi_flags)", 8),
        ("offsetof(struct ifinfomsg, ifi_change)", 12),
        ("AF_NETLINK", (ushort)LibC.AF_NETLINK),
        ("NETLINK_ROUTE", NETLINK_ROUTE),
        ("SOL_NETLINK", (ulong)LibC.SOL_NETLINK),
        ("NETLINK_CAP_ACK", NETLINK_CAP_ACK),
        ("NETLINK_EXT_ACK", NETLINK_EXT_ACK),
        ("NLMSG_ERROR", NLMSG_ERROR),
        ("NLMSG_DONE", NLMSG_DONE),
        ("RTM_NEWLINK", RTM_NEWLINK),
        ("RTM_DELLINK", RTM_DELLINK),
        ("RTM_GETLINK", RTM_GETLINK),
        ("RTM_SETLINK", RTM_SETLINK),
        ("NLM_F_REQUEST", NLM_F_REQUEST),
        ("NLM_F_MULTI", NLM_F_MULTI),
        ("NLM_F_ACK", NLM_F_ACK),
        ("NLM_F_DUMP_INTR", NLM_F_DUMP_INTR),
        ("NLM_F_DUMP", NLM_F_DUMP),
        ("NLM_F_EXCL", NLM_F_EXCL),
        ("NLM_F_CREATE", NLM_F_CREATE),
        ("NLM_F_CAPPED", NLM_F_CAPPED),
        ("NLM_F_ACK_TLVS", NLM_F_ACK_TLVS),
        ("NLMSGERR_ATTR_MSG", NLMSGERR_ATTR_MSG),
        ("NLA_F_NESTED", NLA_F_NESTED),
        ("(unsigned short)NLA_TYPE_MASK", NLA_TYPE_MASK),
        ("IFF_UP", IFF_UP),
        ("IFF_LOWER_UP", IFF_LOWER_UP),
        ("IFLA_ADDRESS", IFLA_ADDRESS),
        ("IFLA_IFNAME", IFLA_IFNAME),
        ("IFLA_MTU", IFLA_MTU),
        ("IFLA_MASTER", IFLA_MASTER),
        ("IFLA_LINKINFO", IFLA_LINKINFO),
        ("IFLA_NET_NS_PID", IFLA_NET_NS_PID),
        ("IFLA_NET_NS_FD", IFLA_NET_NS_FD),
        ("IFLA_EXT_MASK", IFLA_EXT_MASK),
        ("IFLA_INFO_KIND", IFLA_INFO_KIND),
        ("IFLA_INFO_DATA", IFLA_INFO_DATA),
        ("VETH_INFO_PEER", VETH_INFO_PEER),
        ("IFLA_VXLAN_ID", IFLA_VXLAN_ID),
        ("IFLA_VXLAN_LOCAL", IFLA_VXLAN_LOCAL),
        ("IFLA_VXLAN_LEARNING", IFLA_VXLAN_LEARNING),
        ("IFLA_VXLAN_PORT_RANGE", IFLA_VXLAN_PORT_RANGE),
        ("IFLA_VXLAN_PORT", IFLA_VXLAN_PORT),
        ("IFLA_VXLAN_LOCAL6", IFLA_VXLAN_LOCAL6),
        ("sizeof(struct ifla_vxlan_port_range)", 4),
        ("sizeof(struct ifaddrmsg)", IfAddrMsgSize),
        ("offsetof(struct ifaddrmsg, ifa_scope)", 3),
        ("offsetof(struct ifaddrmsg, ifa_index)", 4),
        ("sizeof(struct ndmsg)", NdMsgSize),
        ("offsetof(struct ndmsg, ndm_ifindex)", 4),
        ("offsetof(struct ndmsg, ndm_state)", 8),
        ("offsetof(struct ndmsg, ndm_flags)", 10),
        ("RTM_NEWNEIGH", RTM_NEWNEIGH),
        ("RTM_DELNEIGH", RTM_DELNEIGH),
        ("RTM_GETNEIGH", RTM_GETNEIGH),
        ("NLM_F_APPEND", NLM_F_APPEND),
        ("NDA_DST", NDA_DST),
        ("NDA_LLADDR", NDA_LLADDR),
        ("NDA_MASTER", NDA_MASTER),
        ("NTF_SELF", NTF_SELF),
        ("NTF_MASTER", NTF_MASTER),
        ("NTF_STICKY", NTF_STICKY),
        ("NUD_NOARP", NUD_NOARP),
        ("NUD_PERMANENT", NUD_PERMANENT),
        ("sizeof(struct rtmsg)", RtMsgSize),
        ("offsetof(struct rtmsg, rtm_table)", 4),
        ("offsetof(struct rtmsg, rtm_protocol)", 5),
        ("offsetof(struct rtmsg, rtm_scope)", 6),
        ("offsetof(struct rtmsg, rtm_type)", 7),
        ("offsetof(struct rtmsg, rtm_flags)", 8),
        ("RTM_NEWADDR", RTM_NEWADDR),
        ("RTM_DELADDR", RTM_DELADDR),
        ("RTM_GETADDR", RTM_GETADDR),
        ("RTM_NEWROUTE", RTM_NEWROUTE),
        ("RTM_DELROUTE", RTM_DELROUTE),
        ("RTM_GETROUTE", RTM_GETROUTE),
        ("NLM_F_REPLACE", NLM_F_REPLACE),
        ("AF_UNSPEC", AF_UNSPEC),
        ("AF_INET", AF_INET),
        ("AF_BRIDGE", AF_BRIDGE),
        ("AF_INET6", AF_INET6),
        ("IFLA_PROTINFO", IFLA_PROTINFO),
        ("IFLA_BRPORT_MODE", IFLA_BRPORT_MODE),
        ("IFLA_BRPORT_LEARNING", IFLA_BRPORT_LEARNING),
        ("IFLA_BRPORT_UNICAST_FLOOD", IFLA_BRPORT_UNICAST_FLOOD),
        ("IFLA_BRPORT_MCAST_FLOOD", IFLA_BRPORT_MCAST_FLOOD),
        ("IFLA_BRPORT_BCAST_FLOOD", IFLA_BRPORT_BCAST_FLOOD),
        ("IFLA_BRPORT_ISOLATED", IFLA_BRPORT_ISOLATED),
        ("IFA_ADDRESS", IFA_ADDRESS),
        ("IFA_LOCAL", IFA_LOCAL),
        ("IFA_BROADCAST", IFA_BROADCAST),
        ("RTA_DST", RTA_DST),
        ("RTA_OIF", RTA_OIF),
        ("RTA_GATEWAY", RTA_GATEWAY),
        ("RTA_TABLE", RTA_TABLE),
        ("RT_TABLE_UNSPEC", RT_TABLE_UNSPEC),
        ("RT_TABLE_MAIN", RT_TABLE_MAIN),
        ("RTPROT_UNSPEC", RTPROT_UNSPEC),
        ("RTPROT_KERNEL", RTPROT_KERNEL),
        ("RTPROT_BOOT", RTPROT_BOOT),
        ("RTPROT_STATIC", RTPROT_STATIC),
        ("RT_SCOPE_UNIVERSE", RT_SCOPE_UNIVERSE),
        ("RT_SCOPE_LINK", RT_SCOPE_LINK),
        ("RT_SCOPE_HOST", RT_SCOPE_HOST),
        ("RT_SCOPE_NOWHERE", RT_SCOPE_NOWHERE),
        ("RT_SCOPE_SITE", (ulong)RouteScope.Site),
        ("RTN_UNSPEC", RTN_UNSPEC),
        ("RTN_UNICAST", RTN_UNICAST),
        ("sizeof(struct nfgenmsg)", NfGenMsgSize),
        ("NETLINK_NETFILTER", NflogConstants.NETLINK_NETFILTER),
        ("NFNL_SUBSYS_ULOG", NflogConstants.NFNL_SUBSYS_ULOG),
        ("NFULNL_MSG_PACKET", NflogConstants.NFULNL_MSG_PACKET),
        ("NFULNL_MSG_CONFIG", NflogConstants.NFULNL_MSG_CONFIG),
        ("NFNETLINK_V0", 0),
        ("NFULA_CFG_CMD", NflogConstants.NFULA_CFG_CMD),
        ("NFULA_CFG_MODE", NflogConstants.NFULA_CFG_MODE),
        ("NFULA_CFG_NLBUFSIZ", NflogConstants.NFULA_CFG_NLBUFSIZ),
        ("NFULA_CFG_TIMEOUT", NflogConstants.NFULA_CFG_TIMEOUT),
        ("NFULA_CFG_QTHRESH", NflogConstants.NFULA_CFG_QTHRESH),
        ("NFULNL_CFG_CMD_BIND", NflogConstants.NFULNL_CFG_CMD_BIND),
        ("NFULNL_CFG_CMD_UNBIND", NflogConstants.NFULNL_CFG_CMD_UNBIND),
        ("NFULNL_CFG_CMD_PF_BIND", NflogConstants.NFULNL_CFG_CMD_PF_BIND),
        ("NFULNL_CFG_CMD_PF_UNBIND", NflogConstants.NFULNL_CFG_CMD_PF_UNBIND),
        ("sizeof(struct nfulnl_msg_config_mode)", NflogConstants.NfulnlMsgConfigModeSize),
        ("offsetof(struct nfulnl_msg_config_mode, copy_mode)", 4),
        ("NFULNL_COPY_PACKET", NflogConstants.NFULNL_COPY_PACKET),
        ("NFULA_PACKET_HDR", NflogConstants.NFULA_PACKET_HDR),
        ("NFULA_IFINDEX_OUTDEV", NflogConstants.NFULA_IFINDEX_OUTDEV),
        ("NFULA_PAYLOAD", NflogConstants.NFULA_PAYLOAD),
        ("NFULA_PREFIX", NflogConstants.NFULA_PREFIX),
        ("sizeof(struct nfulnl_msg_packet_hdr)", NflogConstants.NfulnlMsgPacketHdrSize),
        ("offsetof(struct nfulnl_msg_packet_hdr, hook)", 2),
        ("ETH_P_IP", NflogConstants.ETH_P_IP),
        ("ETH_P_IPV6", NflogConstants.ETH_P_IPV6),
        // NFPROTO_IPV4/6 (linux/netfilter.h) are AF_INET/6; that header's linux/in.h clashes with netinet/in.h here.
        ("AF_INET", NflogConstants.NFPROTO_IPV4),
        ("AF_INET6", NflogConstants.NFPROTO_IPV6),
    ];

    private static ulong Offset<T>(string field) => (ulong)Marshal.OffsetOf<T>(field);

    [GccFact]
    public void OurConstantsAndSizes_MatchTheCHeaders()
    {
        string directory = Directory.CreateTempSubdirectory("wvlayout-").FullName;
        try
        {
            string source = Path.Combine(directory, "layout.c");
            string program = Path.Combine(directory, "layout");
            File.WriteAllText(source, CProgram());
            Run("gcc", "-Wall", "-Werror", "-o", program, source);
            string[] lines = Run(program).Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(s_checks.Length, lines.Length);
            var mismatches = new List<string>();
            for (int i = 0; i < s_checks.Length; i++)
            {
                ulong c = ulong.Parse(lines[i], CultureInfo.InvariantCulture);
                if (c != s_checks[i].Ours)
                {
                    mismatches.Add($"{s_checks[i].C}: C says {c}, we say {s_checks[i].Ours}");
                }
            }
            Assert.Empty(mismatches);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string CProgram()
    {
        var text = new System.Text.StringBuilder("""
            #define _GNU_SOURCE
            #include <stddef.h>
            #include <stdio.h>
            #include <sys/ioctl.h>
            #include <sys/socket.h>
            #include <linux/if.h>
            #include <linux/if_tun.h>
            #include <linux/netlink.h>
            #include <linux/rtnetlink.h>
            #include <linux/if_link.h>
            #include <linux/veth.h>
            #include <linux/if_addr.h>
            #include <linux/if_bridge.h>
            #include <linux/neighbour.h>
            #include <linux/virtio_net.h>
            #include <netinet/in.h>
            #include <stdint.h>
            #include <sys/uio.h>
            #include <netinet/udp.h>
            #include <linux/if_ether.h>
            #include <linux/netfilter/nfnetlink.h>
            #include <linux/netfilter/nfnetlink_log.h>
            int main(void)
            {

            """);
        foreach ((string c, _) in s_checks)
        {
            text.Append(CultureInfo.InvariantCulture, $"    printf(\"%lu\\n\", (unsigned long)({c}));\n");
        }
        text.Append("    return 0;\n}\n");
        return text.ToString();
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} exited {process.ExitCode}: {error.Result}");
        return output;
    }
}

/// <summary>A fact that needs gcc on PATH; skipped with the reason when it is missing.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Any(directory => File.Exists(Path.Combine(directory, "gcc"))))
        {
            Skip = "gcc is not installed: cannot compare our constants with the C headers";
        }
    }
}
