using System.Diagnostics;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;
using Weave.Tests.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Routing.TopologyBuilder;

namespace Weave.Tests.Gossip.Routing;

[Collection(TimingGroup.Name)]
public sealed class RouteTableTimingTests
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
        // Best of a few runs: the first ones measure the JIT, and this box may be busy.
        TimeSpan unicast = TimeSpan.MaxValue;
        RouteTable data = null!, gossip = null!;
        for (int run = 0; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            data = RouteTable.Compute(Name(0), topology, true);
            unicast = clock.Elapsed < unicast ? clock.Elapsed : unicast;
            gossip = RouteTable.Compute(Name(0), topology, false);
        }
        Assert.Equal(999, data.Reachable.Count);
        Assert.Equal(999, gossip.Reachable.Count);
        Assert.True(unicast < TimeSpan.FromMilliseconds(40), $"unicast table took {unicast.TotalMilliseconds} ms");
    }
}
