using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Two routers of different clusters that must not peer: ranges that overlap, and a cluster left
/// out of <c>--peer-clusters</c>. Both ends refuse and say why in one line; the dialling end's
/// <c>weave status connections</c> shows it; neither routes the other's range.
/// </summary>
public sealed class ClusterRefusals2Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);

    [RootFact]
    public void OverlappingRanges_AreRefusedOnBothEnds_NamingBothClustersAndRanges()
    {
        RootFactAttribute.Require();
        using var lab = IpamCluster.Create(2, output.WriteLine);
        _ = lab.StartWith(0, "--cluster", "a", "--ipalloc-range", "10.32.0.0/12", "--ipalloc-init", "seed=" + lab.Hosts[0].PeerName);
        _ = lab.StartWith(1, "--cluster", "c", "--ipalloc-range", "10.32.0.0/16", "--ipalloc-init", "seed=" + lab.Hosts[1].PeerName,
            lab.Hosts[0].UnderlayAddress.ToString());

        lab.WaitFor("the refusal in both routers' logs", s_within, () =>
            lab.Output(0).Contains("cluster c (10.32.0.0/16) overlaps our cluster a (10.32.0.0/12)", StringComparison.Ordinal) &&
            lab.Output(1).Contains("cluster a (10.32.0.0/12) overlaps our cluster c (10.32.0.0/16)", StringComparison.Ordinal));
        lab.WaitFor("the refusal in the dialler's `weave status connections`", s_within, () =>
            lab.Hosts[1].RunWeave("status", "connections").Stdout.Contains("overlaps", StringComparison.Ordinal));
        AssertApart(lab);
    }

    [RootFact]
    public void ClusterNotInPeerClusters_IsRefused_WhicheverEndDials()
    {
        RootFactAttribute.Require();
        using var lab = IpamCluster.Create(2, output.WriteLine);
        _ = lab.StartWith(0, "--cluster", "a", "--peer-clusters", "x,y", "--ipalloc-init", "seed=" + lab.Hosts[0].PeerName);
        _ = lab.StartWith(1, "--cluster", "b", "--ipalloc-range", "10.48.0.0/16", "--ipalloc-init", "seed=" + lab.Hosts[1].PeerName,
            lab.Hosts[0].UnderlayAddress.ToString());

        lab.WaitFor("host1's refusal of cluster b's inbound connection", s_within, () =>
            lab.Output(0).Contains("cluster b is not in our --peer-clusters (x, y)", StringComparison.Ordinal));

        // The other way round: a's router dials b's and refuses it on its own side.
        CommandResult connect = lab.Hosts[0].RunWeave("connect", lab.Hosts[1].UnderlayAddress.ToString());
        Assert.True(connect.Succeeded, connect.ToString());
        lab.WaitFor("the refusal in host1's `weave status connections`", s_within, () =>
            lab.Hosts[0].RunWeave("status", "connections").Stdout.Contains("cluster b is not in our --peer-clusters (x, y)", StringComparison.Ordinal));
        AssertApart(lab);
    }

    /// <summary>Each router knows only itself and routes no other cluster's range.</summary>
    private static void AssertApart(IpamCluster lab)
    {
        foreach (LabHost host in lab.Hosts)
        {
            string status = host.RunWeave("status").EnsureSuccess().Stdout;
            Assert.Equal(1, MeshStatusText.Peers(status));
            Assert.Equal("", host.Exec("ip", "route", "show", "proto", "87").Stdout.Trim());
        }
    }
}
