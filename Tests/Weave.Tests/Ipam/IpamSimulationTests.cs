using System.Diagnostics;
using Weave.Tests.Ipam.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Ipam;

/// <summary>
/// Thousands of random schedules of allocators with loss, duplication, reordering, partitions,
/// crashes and restarts, donations, rmpeer and hand-off; some with one cluster of 2..20 peers, some
/// with 1–4 clusters sharing one mesh. After every step: no address is held by two IDs (live and
/// crashed-but-saved state alike) nor outside its cluster's range, no two peers think they own the
/// same space, every ring covers its cluster's range and names only its cluster's peers, each
/// replica's allocations are exactly what its own requests and releases account for; a cluster
/// whose peers are all up and reachable allocates, whatever the others go through. After healing,
/// each cluster's rings are identical and every peer can allocate.
/// A failure names its seed; replay it with <c>WEAVE_IPAM_SEED=seed</c> (or <c>=clusters:seed</c>).
/// </summary>
public sealed class IpamSimulationTests(ITestOutputHelper output)
{
    /// <summary>Schedules of one cluster per test method (four methods).</summary>
    private const int SchedulesPerBlock = 2000;

    /// <summary>Schedules of several clusters per test method (two methods).</summary>
    private const int ClusterSchedulesPerBlock = 2000;

    private void RunBlock(int block)
    {
        if (Replayed())
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        int donations = 0, removals = 0, consensus = 0, steps = 0;
        for (int i = 0; i < SchedulesPerBlock; i++)
        {
            IpamSim sim = IpamSim.Run((block * SchedulesPerBlock) + i + 1);
            donations += sim.Donations;
            removals += sim.Removals;
            consensus += sim.Parameters.Clusters[0].Consensus ? 1 : 0;
            steps += sim.Steps;
        }
        output.WriteLine($"{SchedulesPerBlock} schedules, {steps} steps, {donations} donations, {removals} rmpeer rounds, {consensus} seeded by consensus, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(donations > SchedulesPerBlock / 4, "schedules should force donations");
        Assert.True(removals > SchedulesPerBlock / 20, "schedules should include rmpeer");
    }

    private void RunClusterBlock(int block)
    {
        if (Replayed())
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        int severalClusters = 0, steps = 0, donations = 0, removals = 0, probes = 0, probesWhileDown = 0, stray = 0, relayed = 0;
        for (int i = 0; i < ClusterSchedulesPerBlock; i++)
        {
            IpamSim sim = IpamSim.RunClusters((block * ClusterSchedulesPerBlock) + i + 1);
            severalClusters += sim.Clusters.Count > 1 ? 1 : 0;
            steps += sim.Steps;
            donations += sim.Donations;
            removals += sim.Removals;
            probes += sim.Probes;
            probesWhileDown += sim.ProbesWhileAnotherClusterDown;
            stray += sim.StrayRequestsRefused;
            relayed += sim.RelayedDeliveries;
        }
        output.WriteLine($"{ClusterSchedulesPerBlock} schedules ({severalClusters} of several clusters), {steps} steps, {donations} donations, " +
            $"{removals} rmpeer rounds, {probes} probes of a healthy cluster ({probesWhileDown} while another was down), " +
            $"{stray} requests for another cluster's addresses refused, {relayed} messages relayed by other routers, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(severalClusters > ClusterSchedulesPerBlock * 8 / 10, "most schedules should have several clusters");
        Assert.True(donations > ClusterSchedulesPerBlock / 4, "schedules should force donations");
        Assert.True(removals > ClusterSchedulesPerBlock / 20, "schedules should include rmpeer");
        Assert.True(probesWhileDown > ClusterSchedulesPerBlock / 4, "healthy clusters should be probed while another is down");
        Assert.True(stray > ClusterSchedulesPerBlock / 4, "schedules should ask for other clusters' addresses");
        Assert.True(relayed > ClusterSchedulesPerBlock, "schedules should relay messages through other routers");
    }

    /// <summary>
    /// With <c>WEAVE_IPAM_SEED</c> set, every simulation test replays that one schedule instead of
    /// its block, so each checks it: every step's properties (a violation fails the test with its
    /// trace), and the end, where every live peer holds the address it allocated last.
    /// </summary>
    private bool Replayed()
    {
        if (Environment.GetEnvironmentVariable(IpamSim.SeedVariable) is not { Length: > 0 } text)
        {
            return false;
        }
        Assert.True(IpamSim.TryParseReplayKey(text, out ScheduleKind kind, out int seed, out string error), error);
        IpamSim replay = IpamSim.Replay(kind, seed);
        output.WriteLine($"{IpamSim.SeedVariable}={text}: {replay.Parameters}; {replay.Steps} steps, {replay.Donations} donations, " +
            $"{replay.Removals} removals, {replay.Probes} probes");
        Assert.Equal(replay.Parameters.Steps + 1, replay.Steps);
        Assert.All(replay.LiveReplicas, r => Assert.Single(r.Allocator!.Lookup("final")));
        return true;
    }

    [Fact]
    public void RandomSchedules_Block0_NeverHandOutAnAddressTwice() => RunBlock(0);

    [Fact]
    public void RandomSchedules_Block1_NeverHandOutAnAddressTwice() => RunBlock(1);

    [Fact]
    public void RandomSchedules_Block2_NeverHandOutAnAddressTwice() => RunBlock(2);

    [Fact]
    public void RandomSchedules_Block3_NeverHandOutAnAddressTwice() => RunBlock(3);

    [Fact]
    public void ClusterSchedules_Block0_StaySafeAndIndependent() => RunClusterBlock(0);

    [Fact]
    public void ClusterSchedules_Block1_StaySafeAndIndependent() => RunClusterBlock(1);
}
