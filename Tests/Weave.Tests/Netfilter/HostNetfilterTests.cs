using System.Net;
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
}
