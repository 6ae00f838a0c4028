using Weave.Gossip.Routing;
using Weave.Gossip.Topology;
using Weave.Tests.Gossip.Topology;
using Xunit;
using Xunit.Abstractions;
using static Weave.Tests.Gossip.Routing.TopologyBuilder;

namespace Weave.Tests.Gossip.Routing;

[Collection(TimingGroup.Name)]
public sealed class RouteTableTimingTests(ITestOutputHelper output)
{
    [Fact]
    public void Compute_ThousandPeersOfTwoHundredLinks_TakesAFewMilliseconds()
    {
        var random = new Random(1000);
        var links = new List<ConnectionSummary>[1000];
        for (int i = 0; i < links.Length; i++)
        {
            links[i] = [];
        }
        var seen = new HashSet<(int, int)>();
        for (int i = 0; i < links.Length; i++)
        {
            while (links[i].Count < 200)
            {
                int j = random.Next(links.Length);
                if (j != i && seen.Add((Math.Min(i, j), Math.Max(i, j))))
                {
                    links[i].Add(new ConnectionSummary(Name(j), "10.0.0.1:6783", true, true));
                    links[j].Add(new ConnectionSummary(Name(i), "10.0.0.2:6783", false, true));
                }
            }
        }
        var topology = new PeerTopology();
        topology.Merge(links.Select((l, i) => new PeerRecord(Name(i), "h", 1, 1, l)));
        RouteTable data = RouteTable.Compute(Name(0), topology, true);
        RouteTable gossip = RouteTable.Compute(Name(0), topology, false);
        TimeSpan unicast = TimingGroup.BestCpuTime(8, () => RouteTable.Compute(Name(0), topology, true));
        TimeSpan all = TimingGroup.BestCpuTime(8, () => RouteTable.Compute(Name(0), topology, false));
        TimeSpan sameAs = TimingGroup.BestCpuTime(8, () => data.SameAs(RouteTable.Compute(Name(0), topology, true)));
        output.WriteLine($"CPU time, best of 8: data table {unicast.TotalMilliseconds:F1} ms, gossip table {all.TotalMilliseconds:F1} ms, " +
            $"compute + SameAs {sameAs.TotalMilliseconds:F1} ms");
        Assert.Equal(999, data.Reachable.Count);
        Assert.Equal(999, gossip.Reachable.Count);
        Assert.True(unicast < TimeSpan.FromMilliseconds(40), $"data table took {unicast.TotalMilliseconds} ms");
    }
}
