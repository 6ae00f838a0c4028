using Weave.Simulation;
using Xunit;

namespace Weave.Tests.Simulation;

/// <summary>The simulator itself: same seed, same run; addresses and names as documented; dials obey partitions.</summary>
public sealed class SimulatorDeterminismTests
{
    private static SimulatedMesh RunSchedule(int seed)
    {
        var mesh = new SimulatedMesh(seed, new SimulationOptions { Mesh = Sim.FastGossip, LossRate = 0.05, DuplicationRate = 0.05, Fifo = false });
        mesh.AddChain(6);
        mesh.RunFor(TimeSpan.FromSeconds(3));
        mesh.Partition([0, 1]);
        mesh.RunFor(TimeSpan.FromSeconds(5));
        mesh.Crash(4);
        mesh.Heal();
        mesh.Restart(1);
        mesh.RunFor(TimeSpan.FromSeconds(20));
        return mesh;
    }

    [Fact]
    public void SameSeed_IdenticalTraceAndCounters()
    {
        SimulatedMesh a = RunSchedule(42);
        SimulatedMesh b = RunSchedule(42);

        Assert.Equal(a.TraceHash, b.TraceHash);
        Assert.Equal(a.EventCount, b.EventCount);
        Assert.Equal(a.Counters.Snapshot(), b.Counters.Snapshot());
        Assert.Equal(a.RecentTrace, b.RecentTrace);
        Assert.Equal(a.Removals, b.Removals);
        Assert.Equal(a.Peers.Select(p => p.Identity!.Uid), b.Peers.Select(p => p.Identity!.Uid));
    }

    [Fact]
    public void DifferentSeed_DifferentTrace()
    {
        Assert.NotEqual(RunSchedule(42).TraceHash, RunSchedule(43).TraceHash);
    }

    [Fact]
    public void Replay_SameSeed_SameOutcome()
    {
        var parameters = new ScenarioParameters { Steps = 6 };
        ScenarioResult first = SimulatedMesh.Replay(5, parameters);
        ScenarioResult again = SimulatedMesh.Replay(5, parameters);

        Assert.Equal(first, again);
    }

    [Fact]
    public void Peers_NamedAndAddressedByIndex()
    {
        Assert.Equal("02:00:00:00:00:01", SimulatedMesh.NameOf(0).ToString());
        Assert.Equal("10.0.0.1:6783", SimulatedMesh.AddressOf(0).ToString());
        Assert.Equal("10.0.1.0:6783", SimulatedMesh.AddressOf(255).ToString());
        Assert.Equal("10.1.0.0:6783", SimulatedMesh.AddressOf(65535).ToString());
    }

    [Fact]
    public void Partition_DialsAcrossFail_HealLetsThemThrough()
    {
        SimulatedMesh mesh = Sim.Create(44);
        mesh.AddPeer();
        mesh.Partition([0]);
        mesh.AddPeer(0);
        mesh.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(1, mesh.Counters.DialFailures);
        Assert.Empty(mesh.ConnectedTo(0));

        mesh.Heal();
        mesh.RunUntilConverged(TimeSpan.FromSeconds(30), "no connection after healing (the retry backoff starts at about 2 s)");
    }

    [Fact]
    public void Connections_ShareUid_AndReportAddresses()
    {
        SimulatedMesh mesh = Sim.Create(45);
        mesh.AddPeer();
        mesh.AddPeer(0);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(5));

        var rows0 = mesh.Node(0).Status().Connections.Where(c => c.State == "established").ToList();
        var rows1 = mesh.Node(1).Status().Connections.Where(c => c.State == "established").ToList();
        Assert.Single(rows0);
        Assert.Single(rows1);
        Assert.True(rows1[0].Outbound);
        Assert.Equal("10.0.0.1:6783", rows1[0].Address);
        Assert.False(rows0[0].Outbound);
        Assert.StartsWith("10.0.0.2:", rows0[0].Address, StringComparison.Ordinal);
    }
}
