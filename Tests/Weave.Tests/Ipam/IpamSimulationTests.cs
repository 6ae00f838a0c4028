using System.Diagnostics;
using Weave.Tests.Ipam.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Ipam;

/// <summary>
/// Thousands of random schedules of 2..20 allocators with loss, duplication, reordering,
/// partitions, crashes and restarts, donations, rmpeer and hand-off. After every step: no address
/// is held by two IDs (live and crashed-but-saved state alike), no two peers think they own the
/// same space, every ring covers the range; after healing, all rings are identical and every peer
/// can allocate. A failure names its seed; replay it with <c>WEAVE_IPAM_SEED=seed</c>.
/// </summary>
public sealed class IpamSimulationTests(ITestOutputHelper output)
{
    /// <summary>Schedules per test method (four methods).</summary>
    private const int SchedulesPerBlock = 2000;

    private void RunBlock(int block)
    {
        if (Environment.GetEnvironmentVariable(IpamSim.SeedVariable) is { Length: > 0 } text)
        {
            if (block == 0)
            {
                IpamSim replay = IpamSim.Run(int.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
                output.WriteLine($"seed {text}: {replay.Parameters}, {replay.Steps} steps, {replay.Donations} donations, {replay.Removals} removals");
            }
            return;
        }
        var clock = Stopwatch.StartNew();
        int donations = 0, removals = 0, consensus = 0, steps = 0;
        for (int i = 0; i < SchedulesPerBlock; i++)
        {
            IpamSim sim = IpamSim.Run((block * SchedulesPerBlock) + i + 1);
            donations += sim.Donations;
            removals += sim.Removals;
            consensus += sim.Parameters.Consensus ? 1 : 0;
            steps += sim.Steps;
        }
        output.WriteLine($"{SchedulesPerBlock} schedules, {steps} steps, {donations} donations, {removals} rmpeer rounds, {consensus} seeded by consensus, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(donations > SchedulesPerBlock / 4, "schedules should force donations");
        Assert.True(removals > SchedulesPerBlock / 20, "schedules should include rmpeer");
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
