using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Ipam;
using Weave.Lab;
using Weave.Linux.Nftables;
using Weave.Router.Netfilter;
using Xunit;

namespace Weave.Tests.Netfilter;

/// <summary>The host's netfilter against the real nft, each test in a namespace of its own.</summary>
public sealed class HostNetfilterTests
{
    private static readonly HostRules s_rules = new(Cidr.Parse("10.32.0.0/12"), "weave", 6783, 6784, NoMasqLocal: true);
    private static readonly (IPAddress, IPAddress)[] s_local = [(IPAddress.Parse("10.32.0.0"), IPAddress.Parse("10.33.255.255"))];

    private static NftCommand Nft()
    {
        Assert.True(NftCommand.TryFind(out NftCommand? nft), "nft is not installed (test.sh installs nftables)");
        return nft!;
    }

    [RootFact]
    public void Reconcile_SetsUpTheTable_AndRestoresItWhenSomeoneFlushesOrDeletesIt()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            NftCommand nft = Nft();
            var netfilter = new HostNetfilter(nft, s_rules, NullLogger.Instance);

            netfilter.Reconcile(s_local);
            string listing = nft.List("table ip weave")!;
            Assert.Contains("masquerade", listing, StringComparison.Ordinal);
            Assert.Contains("elements = { 10.32.0.0/15 }", listing, StringComparison.Ordinal); // nft shows an aligned range as a prefix
            Assert.Contains(HostRules.Comment, listing, StringComparison.Ordinal);

            netfilter.Reconcile(s_local);
            Assert.Equal(0, netfilter.Restorations);

            nft.Apply("flush chain ip weave postrouting\n");
            netfilter.Reconcile(s_local);
            Assert.Equal(1, netfilter.Restorations);
            Assert.Equal(listing, nft.List("table ip weave"));

            nft.Apply("flush ruleset\n");
            netfilter.Reconcile(s_local);
            Assert.Equal(2, netfilter.Restorations);
            Assert.Equal(listing, nft.List("table ip weave"));
        });
    }

    [RootFact]
    public void Reconcile_NewLocalRanges_ReplaceTheSetInOneTransaction()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            NftCommand nft = Nft();
            var netfilter = new HostNetfilter(nft, s_rules, NullLogger.Instance);
            netfilter.Reconcile([]);
            Assert.DoesNotContain("elements", nft.List("table ip weave")!, StringComparison.Ordinal);
            netfilter.Reconcile(s_local);
            Assert.Contains("elements = { 10.32.0.0/15 }", nft.List("table ip weave")!, StringComparison.Ordinal);
            Assert.Equal(0, netfilter.Restorations);
        });
    }

    [RootFact]
    public void Reconcile_ForwardPolicyDrop_AppendsTwoAcceptRulesOnce_AndRemoveTakesOnlyOursAway()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            NftCommand nft = Nft();
            // What Docker (through iptables-nft) leaves: a FORWARD chain dropping by policy, with a rule of its own.
            nft.Apply("add table ip filter\nadd chain ip filter FORWARD { type filter hook forward priority filter; policy drop; }\n" +
                "add rule ip filter FORWARD iifname \"docker0\" accept\n");
            var netfilter = new HostNetfilter(nft, s_rules, NullLogger.Instance);

            netfilter.Reconcile(s_local);
            netfilter.Reconcile(s_local);

            string forward = nft.List("chain ip filter FORWARD")!;
            Assert.Equal(2, forward.Split(HostNetfilter.ForwardComment).Length - 1);
            Assert.Contains("iifname \"weave\" accept", forward, StringComparison.Ordinal);
            Assert.Contains("oifname \"weave\" accept", forward, StringComparison.Ordinal);

            IReadOnlyList<string> removed = HostNetfilter.Remove(nft);
            Assert.Equal(["nftables table ip weave", "2 rules of iptables' FORWARD chain"], removed);
            Assert.Null(nft.List("table ip weave"));
            forward = nft.List("chain ip filter FORWARD")!;
            Assert.DoesNotContain("weave", forward, StringComparison.Ordinal);
            Assert.Contains("iifname \"docker0\" accept", forward, StringComparison.Ordinal);
            Assert.Empty(HostNetfilter.Remove(nft));
        });
    }

    [RootFact]
    public void Reconcile_ForwardPolicyAccept_LeavesTheChainAlone()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            NftCommand nft = Nft();
            nft.Apply("add table ip filter\nadd chain ip filter FORWARD { type filter hook forward priority filter; policy accept; }\n");
            new HostNetfilter(nft, s_rules, NullLogger.Instance).Reconcile(s_local);
            Assert.DoesNotContain("weave", nft.List("chain ip filter FORWARD")!, StringComparison.Ordinal);
        });
    }

    [RootFact]
    public void Reconcile_WithPeeredRanges_IsAcceptedByNft_AndChangesWithThem()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            NftCommand nft = Nft();
            var netfilter = new HostNetfilter(nft, s_rules, NullLogger.Instance);
            netfilter.Reconcile(s_local, [IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("10.49.0.0/16")]);
            string listing = nft.List("table ip weave")!;
            Assert.Contains("elements = { 10.48.0.0/16, 10.49.0.0/16 }", listing, StringComparison.Ordinal);
            Assert.Contains("ip saddr @peered_ranges ip daddr 10.32.0.0/12 return", listing, StringComparison.Ordinal);

            netfilter.Reconcile(s_local, []);
            Assert.DoesNotContain("10.48.0.0/16", nft.List("table ip weave")!, StringComparison.Ordinal);
            Assert.Equal(0, netfilter.Restorations);
        });
    }

    /// <summary>
    /// A pod behind the bridge sends UDP to a peered cluster's pod and to an address outside every
    /// range, both routed out of the host the same way: the first keeps the pod's address, the
    /// second is masqueraded to the host's, so the rule that tells them apart is what the test sees.
    /// </summary>
    [RootFact]
    public void Masquerade_LeavesTrafficToPeeredRangesWithThePodsAddress()
    {
        RootFactAttribute.Require();
        using var host = new TempNetns();
        using var pod = new TempNetns();
        using var remote = new TempNetns();
        Ip(host, "link", "add", "weave", "type", "bridge");
        Ip(host, "addr", "add", "10.32.0.1/12", "dev", "weave");
        Ip(host, "link", "set", "weave", "up");
        Ip(host, "link", "add", "vp", "type", "veth", "peer", "name", "eth0", "netns", pod.Name);
        Ip(host, "link", "set", "vp", "master", "weave", "up");
        Ip(pod, "addr", "add", "10.32.0.5/12", "dev", "eth0");
        Ip(pod, "link", "set", "eth0", "up");
        Ip(pod, "route", "add", "default", "via", "10.32.0.1");
        // The "other side": one link where both the peered range and the outside world lie.
        Ip(host, "link", "add", "out0", "type", "veth", "peer", "name", "in0", "netns", remote.Name);
        Ip(host, "addr", "add", "192.168.90.1/24", "dev", "out0");
        Ip(host, "link", "set", "out0", "up");
        Ip(host, "route", "add", "10.48.0.0/16", "dev", "out0");
        Ip(host, "route", "add", "198.51.100.0/24", "dev", "out0");
        Ip(remote, "addr", "add", "10.48.0.7/16", "dev", "in0");
        Ip(remote, "addr", "add", "198.51.100.7/24", "dev", "in0");
        Ip(remote, "addr", "add", "192.168.90.2/24", "dev", "in0");
        Ip(remote, "link", "set", "in0", "up");
        Ip(remote, "route", "add", "10.32.0.0/12", "via", "192.168.90.1");
        TempNetns.Ip("netns", "exec", host.Name, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        host.Run(() => new HostNetfilter(Nft(), s_rules, NullLogger.Instance).Reconcile(s_local, [IPNetwork.Parse("10.48.0.0/16")]));

        Assert.Equal(IPAddress.Parse("10.32.0.5"), SourceSeen(pod, remote, IPAddress.Parse("10.48.0.7")));
        Assert.Equal(IPAddress.Parse("192.168.90.1"), SourceSeen(pod, remote, IPAddress.Parse("198.51.100.7")));
    }

    private static void Ip(TempNetns ns, params string[] arguments) => TempNetns.Ip(["-n", ns.Name, .. arguments]);

    /// <summary>Sends one datagram from <paramref name="from"/> to <paramref name="to"/> in <paramref name="at"/>; returns the source it arrived with.</summary>
    private static IPAddress SourceSeen(TempNetns from, TempNetns at, IPAddress to)
    {
        using Socket receiver = at.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(to, 7000));
            return socket;
        });
        using Socket sender = from.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        receiver.ReceiveTimeout = 5000;
        byte[] buffer = new byte[64];
        EndPoint source = new IPEndPoint(IPAddress.Any, 0);
        // The first datagram may go while the neighbours are resolved; a few are sent, one is enough.
        for (int i = 0; i < 3; i++)
        {
            sender.SendTo("peered"u8, new IPEndPoint(to, 7000));
        }
        receiver.ReceiveFrom(buffer, ref source);
        return ((IPEndPoint)source).Address;
    }
}
