using System.Net;
using Weave.Lab;
using Weave.Linux;
using Xunit;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Linux;

/// <summary>Forwarding-database entries (AF_BRIDGE RTM_*NEIGH): the bytes of each request, the
/// parser on hand-built and corrupted replies, and the real kernel's VXLAN device and bridge.</summary>
public sealed class RouteNetlinkFdbTests
{
    private const ulong PodMac = 0x0200_0000_000A;

    [Fact]
    public void EncodeFdb_AppendVxlanFloodEntry_IsNewNeighWithAppendLladdrAndDst()
    {
        FdbEntry entry = FdbEntry.VxlanRemote(5, 0, IPAddress.Parse("192.0.2.7"));

        byte[] encoded = RouteNetlink.EncodeFdb(new byte[128], 9, RTM_NEWNEIGH, entry, append: true).ToArray();

        byte[] expected =
        [
            48, 0, 0, 0, 28, 0, 0x05, 0x0C, 9, 0, 0, 0, 0, 0, 0, 0, // RTM_NEWNEIGH, REQUEST|ACK|CREATE|APPEND
            7, 0, 0, 0, 5, 0, 0, 0, 0x80, 0, 0x02, 0,               // ndmsg: AF_BRIDGE, ifindex 5, NUD_PERMANENT, NTF_SELF
            10, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,                    // NDA_LLADDR 00:00:00:00:00:00 + pad
            8, 0, 1, 0, 192, 0, 2, 7,                               // NDA_DST
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeFdb_ReplaceBridgePin_IsStaticStickyMasterEntryWithoutDst()
    {
        byte[] encoded = RouteNetlink.EncodeFdb(new byte[128], 3, RTM_NEWNEIGH, FdbEntry.BridgePin(4, PodMac), append: false).ToArray();

        byte[] expected =
        [
            40, 0, 0, 0, 28, 0, 0x05, 0x05, 3, 0, 0, 0, 0, 0, 0, 0, // RTM_NEWNEIGH, REQUEST|ACK|CREATE|REPLACE
            7, 0, 0, 0, 4, 0, 0, 0, 0x40, 0, 0x44, 0,               // ndmsg: AF_BRIDGE, ifindex 4, NUD_NOARP, NTF_MASTER|NTF_STICKY
            10, 0, 2, 0, 0x02, 0, 0, 0, 0, 0x0A, 0, 0,              // NDA_LLADDR 02:00:00:00:00:0a + pad
        ];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeFdb_Delete_HasNoCreateFlags()
    {
        byte[] encoded = RouteNetlink.EncodeFdb(new byte[128], 1, RTM_DELNEIGH, FdbEntry.VxlanRemote(5, PodMac, IPAddress.Parse("fd00::7")), append: false).ToArray();

        Assert.Equal([29, 0, 0x05, 0x00], encoded[4..8]);
        Assert.Equal(16 + 12 + 12 + 20, encoded.Length);
    }

    [Fact]
    public void TryParseFdb_VxlanAndBridgeEntries_ReadBack()
    {
        FdbEntry vxlan = FdbEntry.VxlanRemote(5, PodMac, IPAddress.Parse("192.0.2.7"));
        Assert.True(NetlinkParser.TryParseFdb(Payload(vxlan), out FdbEntry? parsed));
        Assert.Equal(vxlan, parsed);
        Assert.False(parsed!.Value.InBridge);
        Assert.True(parsed.Value.IsStatic);

        FdbEntry pin = FdbEntry.BridgePin(4, PodMac) with { MasterIndex = 3 };
        Assert.True(NetlinkParser.TryParseFdb(Payload(pin, master: 3), out parsed));
        Assert.Equal(pin, parsed);
        Assert.True(parsed!.Value.InBridge);
    }

    [Fact]
    public void TryParseFdb_OtherFamily_IsSkippedNotMalformed()
    {
        byte[] payload = Payload(FdbEntry.VxlanRemote(5, PodMac, IPAddress.Loopback));
        payload[0] = AF_INET;

        Assert.True(NetlinkParser.TryParseFdb(payload, out FdbEntry? entry));
        Assert.Null(entry);
    }

    [Fact]
    public void TryParseFdb_Malformed_ReturnsFalse()
    {
        byte[] good = Payload(FdbEntry.VxlanRemote(5, PodMac, IPAddress.Parse("192.0.2.7")));
        Assert.False(NetlinkParser.TryParseFdb(good.AsSpan(0, NdMsgSize - 1), out _));
        Assert.False(NetlinkParser.TryParseFdb(good.AsSpan(0, NdMsgSize), out _)); // no NDA_LLADDR
        byte[] noIndex = (byte[])good.Clone();
        noIndex[4] = 0;
        Assert.False(NetlinkParser.TryParseFdb(noIndex, out _));
        byte[] shortMac = (byte[])good.Clone();
        shortMac[NdMsgSize] = 9; // rta_len 9: a 5-byte address
        Assert.False(NetlinkParser.TryParseFdb(shortMac, out _));
        byte[] badDestination = (byte[])good.Clone();
        badDestination[NdMsgSize + 12] = 7; // NDA_DST of 3 bytes
        Assert.False(NetlinkParser.TryParseFdb(badDestination, out _));
    }

    [Fact]
    public void TryParseFdb_RandomCorruption_NeverThrows()
    {
        var random = new Random(20261207);
        byte[] original = Payload(FdbEntry.BridgePin(4, PodMac), master: 3);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] corrupt = (byte[])original.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            }
            _ = NetlinkParser.TryParseFdb(corrupt.AsSpan(0, random.Next(corrupt.Length + 1)), out _);
        }
    }

    [Fact]
    public void AddFdb_BadEntry_IsRefusedBeforeTheKernel()
    {
        using var rtnl = RouteNetlink.Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => rtnl.AddFdb(FdbEntry.BridgePin(0, PodMac), append: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => rtnl.AddFdb(FdbEntry.BridgePin(4, MacAddress48.Max + 1), append: false));
        Assert.Throws<ArgumentException>(() => rtnl.AddFdb(new FdbEntry(4, PodMac, null, NUD_NOARP, 0), append: false));
    }

    /// <summary>A VXLAN device floods to every endpoint appended for the all-zero MAC; deleting one
    /// endpoint leaves the others; a bridge pin replaces itself in place; the dump reports each as added.</summary>
    [RootFact]
    public void VxlanFloodEntriesAndBridgePins_AgainstTheKernel()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "add", "wvbr0", "type", "bridge");
        TempNetns.Ip("-n", ns.Name, "link", "add", "wvveth0", "type", "veth", "peer", "name", "wvveth1");
        TempNetns.Ip("-n", ns.Name, "link", "set", "wvveth0", "master", "wvbr0");
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateVxlan("wvvx0", new VxlanSettings(42, 6784));
            int vxlan = rtnl.GetLink("wvvx0")!.Index;
            int port = rtnl.GetLink("wvveth0")!.Index;
            IPAddress first = IPAddress.Parse("192.0.2.1");
            IPAddress second = IPAddress.Parse("192.0.2.2");

            rtnl.AddFdb(FdbEntry.VxlanRemote(vxlan, 0, first), append: true);
            rtnl.AddFdb(FdbEntry.VxlanRemote(vxlan, 0, second), append: true);
            rtnl.AddFdb(FdbEntry.VxlanRemote(vxlan, PodMac, first), append: false);
            rtnl.AddFdb(FdbEntry.VxlanRemote(vxlan, PodMac, second), append: false); // replaces

            Assert.Equal([(0UL, first), (0UL, second), (PodMac, second)], VxlanEntries(rtnl, vxlan));
            Assert.Contains("00:00:00:00:00:00 dst 192.0.2.2 self permanent", Bridge(ns, "fdb", "show", "dev", "wvvx0"), StringComparison.Ordinal);

            Assert.True(rtnl.DeleteFdb(FdbEntry.VxlanRemote(vxlan, 0, first)));
            Assert.Equal([(0UL, second), (PodMac, second)], VxlanEntries(rtnl, vxlan));
            Assert.True(rtnl.DeleteFdb(FdbEntry.VxlanRemote(vxlan, PodMac, second)));
            Assert.False(rtnl.DeleteFdb(FdbEntry.VxlanRemote(vxlan, PodMac, second)));
            Assert.Equal([(0UL, second)], VxlanEntries(rtnl, vxlan));

            rtnl.AddFdb(FdbEntry.BridgePin(port, PodMac), append: false);
            rtnl.AddFdb(FdbEntry.BridgePin(port, PodMac), append: false);
            FdbEntry pinned = Assert.Single(rtnl.ListFdb(), e => e.Index == port && e.Mac == PodMac);
            Assert.True(pinned.InBridge);
            Assert.True(pinned.IsStatic);
            Assert.True((pinned.Flags & NTF_STICKY) != 0, $"flags {pinned.Flags:x}");
            Assert.Equal(rtnl.GetLink("wvbr0")!.Index, pinned.MasterIndex);

            Assert.True(rtnl.DeleteFdb(FdbEntry.BridgePin(port, PodMac)));
            Assert.DoesNotContain(rtnl.ListFdb(), e => e.Index == port && e.Mac == PodMac);
            var missing = Assert.Throws<LinuxError>(() => rtnl.AddFdb(FdbEntry.VxlanRemote(99_999, 0, first), append: true));
            Assert.Contains("append fdb 00:00:00:00:00:00 dst 192.0.2.1 on ifindex 99999", missing.Message, StringComparison.Ordinal);
        });
    }

    private static List<(ulong, IPAddress?)> VxlanEntries(RouteNetlink rtnl, int vxlan) =>
        [.. rtnl.ListFdb().Where(e => e.Index == vxlan && !e.InBridge && e.IsStatic).Select(e => (e.Mac, e.Destination))
            .OrderBy(e => e.Mac).ThenBy(e => e.Destination?.ToString(), StringComparer.Ordinal)];

    private static string Bridge(TempNetns ns, params string[] arguments) =>
        TempNetns.Ip(["netns", "exec", ns.Name, "bridge", .. arguments]);

    private static byte[] Payload(FdbEntry entry, int master = 0)
    {
        var message = new NetlinkMessage(new byte[128], RTM_NEWNEIGH, 0, 1);
        message.WriteNdMsg(AF_BRIDGE, entry.Index, entry.State, entry.Flags);
        byte[] mac = BitConverter.GetBytes(entry.Mac << 16);
        Array.Reverse(mac);
        message.AddAttribute(NDA_LLADDR, mac.AsSpan(0, 6));
        if (entry.Destination is { } destination)
        {
            message.AddIPAddress(NDA_DST, destination);
        }
        if (master != 0)
        {
            message.AddUInt32(NDA_MASTER, (uint)master);
        }
        return message.Finish()[NLMSG_HDRLEN..].ToArray();
    }
}
