using System.Net;
using Weave.Ipam;
using Weave.Router.Netfilter;
using Xunit;

namespace Weave.Tests.Netfilter;

public sealed class HostRulesTests
{
    private static readonly HostRules s_rules = new(Cidr.Parse("10.32.0.0/12"), "weave", 6783, 6784, NoMasqLocal: true);

    [Fact]
    public void Render_ReplacesTheWholeTableInOneScript()
    {
        string script = s_rules.Render([(IPAddress.Parse("10.32.0.0"), IPAddress.Parse("10.35.255.255")), (IPAddress.Parse("10.40.0.1"), IPAddress.Parse("10.40.0.1"))]);
        string[] lines = script.Split('\n');
        Assert.Equal(["add table ip weave", "delete table ip weave", "table ip weave {"], lines[..3]);
        Assert.Contains("\t\telements = { 10.32.0.0-10.35.255.255, 10.40.0.1 }", lines);
        Assert.Contains("\t\tip saddr 10.32.0.0/12 ip daddr 224.0.0.0/4 return", lines);
        Assert.Contains("\t\tip saddr != 10.32.0.0/12 ip daddr @local_ranges return", lines);
        Assert.Contains("\t\tip saddr != 10.32.0.0/12 ip daddr 10.32.0.0/12 masquerade", lines);
        Assert.Contains("\t\tip saddr 10.32.0.0/12 ip daddr != 10.32.0.0/12 masquerade", lines);
        Assert.Contains("\t\tiifname \"weave\" meta l4proto { tcp, udp } th dport 6783-6784 drop", lines);
        Assert.Contains("\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 tcp dport 6784 drop", lines);
        Assert.Contains("\t\tiifname \"weave\" ip daddr != 10.32.0.0/12 ip daddr != @peered_ranges meta l4proto { tcp, udp } th dport 6783-6784 drop", lines);
    }

    [Fact]
    public void Render_WithoutNoMasqLocal_MasqueradesTrafficToLocalPodsToo()
    {
        string script = (s_rules with { NoMasqLocal = false }).Render([]);
        Assert.DoesNotContain("@local_ranges", script, StringComparison.Ordinal);
        Assert.DoesNotContain("elements", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PeeredRanges_KeepTheirSourceBothWays_BeforeAnyMasquerade()
    {
        string script = s_rules.Render([], [IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("10.49.0.0/16")]);
        string[] lines = script.Split('\n');
        Assert.Contains("\tset peered_ranges {", lines);
        Assert.Contains("\t\telements = { 10.48.0.0/16, 10.49.0.0/16 }", lines);
        int toPeered = Array.IndexOf(lines, "\t\tip saddr 10.32.0.0/12 ip daddr @peered_ranges return");
        int fromPeered = Array.IndexOf(lines, "\t\tip saddr @peered_ranges ip daddr 10.32.0.0/12 return");
        int firstMasquerade = Array.FindIndex(lines, l => l.EndsWith(" masquerade", StringComparison.Ordinal));
        Assert.True(toPeered > 0 && fromPeered > 0 && firstMasquerade > Math.Max(toPeered, fromPeered), script);
        // Pods of peered clusters are no routers: the mesh ports of other machines stay closed to pods, not theirs.
        Assert.Contains("\t\tiifname \"weave\" ip daddr != 10.32.0.0/12 ip daddr != @peered_ranges meta l4proto { tcp, udp } th dport 6783-6784 drop", lines);
    }

    [Fact]
    public void Render_NoPeeredRanges_AnEmptySet()
    {
        string script = s_rules.Render([]);
        Assert.Contains("\tset peered_ranges {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n", script, StringComparison.Ordinal);
        Assert.DoesNotContain("elements", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PeeredRangesInsideOthersOrOfIPv6_AreLeftOut_AsNftRefusesOverlapsInASet()
    {
        string script = s_rules.Render([], [IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("10.48.4.0/24"), IPNetwork.Parse("10.64.0.0/16"),
            IPNetwork.Parse("10.48.0.0/16"), IPNetwork.Parse("fd00::/64")]);
        Assert.Contains("\t\telements = { 10.48.0.0/16, 10.64.0.0/16 }\n", script, StringComparison.Ordinal);
    }
}
