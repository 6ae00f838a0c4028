using Weave.Linux.Netfilter;
using Weave.Tests.Fuzz;
using Xunit;
using static Weave.Linux.Netfilter.NflogConstants;
using static Weave.Tests.Linux.NflogMessages;

namespace Weave.Tests.Linux;

/// <summary>
/// The NFLOG packet parser fed random bytes and damaged packet messages
/// (<see cref="DecoderProperty"/>: 100k inputs, the seed of a failure printed): it accepts or
/// refuses, and never throws or reads outside the message.
/// </summary>
public sealed class NflogParserProperties
{
    [Fact]
    public void Parse_OfMutatedMessages_NeverThrows()
    {
        byte[][] valid =
        [
            Packet(NFPROTO_IPV4, "in.prod.db", Ipv4("10.32.0.2", "10.32.0.3", Tcp, Ports(40000, 5432))),
            Packet(NFPROTO_IPV4, "eg.a.web", Ipv4("10.32.0.2", "10.32.0.3", Udp, Ports(1, 53, 8), optionBytes: 8)),
            Packet(NFPROTO_IPV6, "in.b.cache", Ipv6("fd00::1", "fd00::2", Udp, Ports(5353, 53, 8))),
            Packet(NFPROTO_IPV6, "x", Ipv6("fd00::1", "fd00::2", 0, [44, 0, 1, 4, 0, 0, 0, 0, Tcp, 0, 0, 1, 0, 0, 0, 42, .. Ports(1, 2)])),
            Packet(7, "bridge", Ipv4("10.0.0.1", "10.0.0.2", Sctp, Ports(1, 2, 12)), ETH_P_IP),
        ];
        var prefixes = new PrefixCache();
        DecoderProperty.Check("NflogParser.TryParse", valid, input => NflogParser.TryParse(input, prefixes, out _, out _));
    }

    /// <summary>Damage inside a well-framed message: the packet copy is mutated and the message
    /// rebuilt around it, so the lengths of the netlink framing stay right and the IP header
    /// reader sees every input (damage to the framing alone rarely gets past it).</summary>
    [Fact]
    public void Parse_OfMessagesWithMutatedPackets_NeverThrows()
    {
        byte[][] packets =
        [
            Ipv4("10.32.0.2", "10.32.0.3", Tcp, Ports(40000, 5432)),
            Ipv4("10.32.0.2", "10.32.0.3", Udp, Ports(1, 53, 8), optionBytes: 40),
            Ipv4("10.32.0.2", "10.32.0.3", Udp, Ports(1, 53, 8), fragmentOffset: 0x2000),
            Ipv6("fd00::1", "fd00::2", Udp, Ports(5353, 53, 8)),
            Ipv6("fd00::1", "fd00::2", 0, [44, 0, 1, 4, 0, 0, 0, 0, 60, 0, 0, 1, 0, 0, 0, 42, 51, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Tcp, 0, 1, 4, 0, 0, 0, 0, .. Ports(1, 2)]),
        ];
        var prefixes = new PrefixCache();
        DecoderProperty.Check("NflogParser.TryParse (packet)", packets, input =>
        {
            byte family = input.Length > 0 && input[0] >> 4 == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
            return NflogParser.TryParse(Packet(family, "in.prod.db", input), prefixes, out _, out _);
        });
    }
}
