using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Weave.Router.Ipam;
using Weave.Tests.Gossip.Mesh;
using Xunit;

namespace Weave.Tests.Router.Clusters;

/// <summary>
/// What IP allocation (rmpeer's refusal, <c>weave status ipam</c>) sees of a peer killed just
/// after the mesh formed, as Ipam3Tests.Rmpeer_DeadPeer_SpaceTakenOver_AllocationWorks_SecondRunHarmless
/// kills host3: host1 (node 1) linked to host2 (2) and host3 (3), every link healthy and every
/// record in, but the coalesced data-route recalculation not run yet when host3's connection closes.
/// </summary>
public sealed class MeshPeerViewReachabilityTests
{
    private static readonly MeshOptions s_options = FakeMesh.Options with { RequireDataPathHealth = true };
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(10);

    /// <summary>A neighbour's record listing its links to <paramref name="establishedTo"/>, all established.</summary>
    private static PeerRecord Record(ulong name, ulong version, params ulong[] establishedTo) =>
        new(new PeerName(name), $"n{name}", 1000 + name, version,
            [.. establishedTo.Select(r => new ConnectionSummary(new PeerName(r), $"10.0.0.{r}:40000", Outbound: false, Established: true))]);

    /// <summary>Whether the allocator's view of the mesh counts <paramref name="peer"/> reachable (rmpeer refuses it then).</summary>
    private static bool Reachable(MeshNode node, ulong peer) =>
        new MeshPeerView(node).Peers.Any(p => p.Name == new PeerName(peer) && p.Reachable);

    /// <summary>Lets <paramref name="span"/> pass as a router's loop would: the node ticks every 10 ms.</summary>
    private static void Run(FakeMesh mesh, MeshNode node, TimeSpan span)
    {
        for (TimeSpan done = TimeSpan.Zero; done < span; done += s_step)
        {
            mesh.Time.Advance(s_step);
            node.Tick();
        }
    }

    [Fact]
    public void PeerKilledBeforeTheRouteRecalculation_OnceShownUnreachable_IsNeverShownReachableAgain()
    {
        var mesh = new FakeMesh();
        MeshNode host1 = mesh.Add(1, s_options);
        Dictionary<int, FakeConnection> links = FakeMesh.LinkNeighbours(host1, 2, 3);
        Run(mesh, host1, TimeSpan.FromMilliseconds(200)); // recalculated while every link was pending: no data route yet

        // The mesh forms within one recalculation delay: host2's and host3's records list their
        // links established, and host1's data paths to both turn healthy (a full mesh to `weave status`).
        FakeMesh.DeliverRecord(host1, links[2], Record(2, 5, 1, 3));
        FakeMesh.DeliverRecord(host1, links[3], Record(3, 5, 1, 2));
        Assert.True(host1.SetDataPathHealth(links[2], true, ""));
        Assert.True(host1.SetDataPathHealth(links[3], true, ""));
        Run(mesh, host1, TimeSpan.FromMilliseconds(50));

        // host3 is killed: its connection closes. host2's record still lists its link to host3
        // until host2's own announcement arrives, 60 ms later here.
        host1.OnClosed(links[3], "closed by the peer");
        var seen = new List<(string When, bool Reachable)>();
        void Look(string when) => seen.Add((when, Reachable(host1, 3)));
        Look("at the close");
        Run(mesh, host1, TimeSpan.FromMilliseconds(20));
        Look("20 ms after (status polled)");
        Run(mesh, host1, TimeSpan.FromMilliseconds(40));
        Look("60 ms after (the recalculation ran)");
        FakeMesh.DeliverRecord(host1, links[2], Record(2, 6, 1));
        Look("host2's record without host3");
        Run(mesh, host1, TimeSpan.FromMilliseconds(150));
        Look("150 ms later");
        Run(mesh, host1, TimeSpan.FromSeconds(2));
        Look("host3's record removed");

        // Reachable through host2 until host2 says its link is gone is right; "unreachable" and
        // then "reachable" again, with no link made meanwhile, is what made rmpeer refuse host3.
        int unreachable = seen.FindIndex(s => !s.Reachable);
        Assert.True(unreachable >= 0, "host3 never shown unreachable");
        Assert.True(seen.Skip(unreachable).All(s => !s.Reachable),
            "host3 shown unreachable, then reachable: " + string.Join(", ", seen.Select(s => $"{s.When}: {(s.Reachable ? "reachable" : "unreachable")}")));
        Assert.False(seen[^1].Reachable);
    }
}
