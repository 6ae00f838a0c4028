using System.Diagnostics;
using Weave.Tests.Ipam.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Ipam;

/// <summary>
/// Thousands of random schedules of 2..20 allocators with loss, duplication, reordering,
/// partitions, crashes and restarts, donations, rmpeer and hand-off. After every step: no address
/// is held by two IDs (live and crashed-but-saved state alike) nor outside the range, no two peers
/// think they own the same space, every ring covers the range and names only the cluster's peers,
/// each replica's allocations are exactly what its own requests and releases account for; after
/// healing, all rings are identical and every peer can allocate. A failure names its seed; replay
/// it with <c>WEAVE_IPAM_SEED=seed</c>.
/// </summary>
public sealed class IpamSimulationTests(ITestOutputHelper output)
{
    /// <summary>Schedules of one cluster per test method (four methods).</summary>
    private const int SchedulesPerBlock = 2000;

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
}
