using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using static Weave.Linux.NetlinkConstants;
using static Weave.Linux.Netfilter.NflogConstants;

namespace Weave.Linux.Netfilter;

/// <summary>
/// Parses one NFULNL_MSG_PACKET message from the kernel:
/// <code>
/// | nlmsghdr (16) | nfgenmsg: family, version, res_id (group, big-endian) | nlattr... |
///   NFULA_PACKET_HDR: | hw_protocol (be16) | hook | pad |    NFULA_PREFIX: "in.prod.db\0"
///   NFULA_PAYLOAD: the packet from its IP header, cut at the copy range
/// </code>
/// The bytes are checked like any input from outside: every length is checked against what was
/// received before it is used, and a message that is not a well-formed IPv4 or IPv6 packet
/// message is refused with a reason. Nothing here throws on bad bytes.
/// </summary>
internal static class NflogParser
{
    /// <summary>Parses <paramref name="message"/>, exactly one netlink message (its header included);
    /// the prefix string comes from <paramref name="prefixes"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, PrefixCache prefixes, out LoggedPacket packet, [NotNullWhen(false)] out string? refusal)
    {
        packet = default;
        ReadOnlySpan<byte> rest = message;
        if (!NetlinkParser.TryReadMessage(ref rest, out NetlinkHeader header, out ReadOnlySpan<byte> payload) || header.Length != message.Length)
        {
            refusal = $"the netlink header does not frame the {message.Length}-byte message";
            return false;
        }
        if (header.Type != PacketMessageType)
        {
            refusal = $"message type 0x{header.Type:x4} is not an NFLOG packet (0x{PacketMessageType:x4})";
            return false;
        }
        if (payload.Length < NfGenMsgSize)
        {
            refusal = "the message is too short for its nfgenmsg";
            return false;
        }
        byte family = payload[0];
        int hardwareProtocol = -1;
        scoped ReadOnlySpan<byte> prefix = default;
        bool hasPrefix = false;
        scoped ReadOnlySpan<byte> copied = default;
        bool hasPayload = false;
        ReadOnlySpan<byte> attributes = payload[NfGenMsgSize..];
        while (!attributes.IsEmpty)
        {
            if (!NetlinkParser.TryReadAttribute(ref attributes, out ushort type, out ReadOnlySpan<byte> value))
            {
                refusal = "an attribute's length does not fit the message";
                return false;
            }
            switch (type)
            {
                case NFULA_PACKET_HDR when value.Length < NfulnlMsgPacketHdrSize:
                    refusal = $"NFULA_PACKET_HDR has {value.Length} bytes, not {NfulnlMsgPacketHdrSize}";
                    return false;
                case NFULA_PACKET_HDR:
                    hardwareProtocol = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case NFULA_PREFIX:
                    if (!TryReadPrefix(value, out prefix, out refusal))
                    {
                        return false;
                    }
                    hasPrefix = true;
                    break;
                case NFULA_PAYLOAD:
                    copied = value;
                    hasPayload = true;
                    break;
            }
        }
        if (!hasPrefix)
        {
            // Every rule we write has one; a packet without is some other rule's.
            refusal = "the message has no NFULA_PREFIX";
            return false;
        }
        if (!hasPayload)
        {
            refusal = "the message has no NFULA_PAYLOAD (the group is not in copy-packet mode)";
            return false;
        }
        int version = (family, hardwareProtocol) switch
        {
            (NFPROTO_IPV4, _) or (_, ETH_P_IP) => 4,
            (NFPROTO_IPV6, _) or (_, ETH_P_IPV6) => 6,
            _ => 0,
        };
        if (version == 0)
        {
            refusal = $"family {family} with hardware protocol 0x{hardwareProtocol:x4} is neither IPv4 nor IPv6";
            return false;
        }
        if (!IpHeaderReader.TryRead(copied, version, out packet, out refusal))
        {
            return false;
        }
        packet = packet with { Prefix = prefixes.Get(prefix) };
        return true;
    }

    /// <summary>The prefix's bytes before its NUL: at most NF_LOG_PREFIXLEN with the NUL, printable ASCII
    /// (what nft accepts from us; a controller maps it back to a chain).</summary>
    private static bool TryReadPrefix(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> prefix, [NotNullWhen(false)] out string? refusal)
    {
        prefix = default;
        int nul = value.IndexOf((byte)0);
        if (nul < 0)
        {
            refusal = "NFULA_PREFIX is not NUL-terminated";
            return false;
        }
        if (nul >= NF_LOG_PREFIXLEN)
        {
            refusal = $"NFULA_PREFIX is {nul} bytes long, over the kernel's {NF_LOG_PREFIXLEN - 1}";
            return false;
        }
        prefix = value[..nul];
        if (prefix.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e))
        {
            refusal = "NFULA_PREFIX is not printable ASCII";
            return false;
        }
        refusal = null;
        return true;
    }
}
