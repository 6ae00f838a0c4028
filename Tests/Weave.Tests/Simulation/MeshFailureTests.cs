using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>Partitions heal, dead peers are forgotten, restarted peers supersede their old selves.</summary>
public sealed class MeshFailureTests(ITestOutputHelper output)
{
    [Fact]
    public void Partition_ThenHeal_FullMeshAgain()
    {
        SimulatedMesh mesh = Sim.Create(21, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(6);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));

        mesh.Partition([0, 1, 2]);
        bool split = mesh.RunUntil(() => Enumerable.Range(0, 3).All(i => mesh.ConnectedTo(i).SetEquals(Enumerable.Range(0, 3).Where(j => j != i))) &&
            Enumerable.Range(3, 3).All(i => mesh.ConnectedTo(i).SetEquals(Enumerable.Range(3, 3).Where(j => j != i))) &&
            Enumerable.Range(0, 6).All(i => mesh.Node(i).Topology.Count == 3), TimeSpan.FromSeconds(30));
        mesh.Check(split, "the two sides did not settle on their own halves");

        mesh.Heal();
        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromMinutes(10), "no full mesh after healing");

        output.WriteLine($"healed after {took.TotalSeconds:0.0} s simulated");
        mesh.CheckContract();
    }

    [Fact]
    public void Crash_PeerForgottenByAll_RestStayFullyConnected()
    {
        SimulatedMesh mesh = Sim.Create(22, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(6);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));
        SimulatedPeer victim = mesh[3];

        mesh.Crash(3);
        TimeSpan took = mesh.RunUntilConverged(TimeSpan.FromSeconds(30), "survivors did not converge without the crashed peer");

        foreach (SimulatedPeer p in mesh.LivePeers)
        {
            mesh.Check(!p.LiveNode.Topology.TryGet(victim.Name, out _), $"peer {p.Index} still lists the crashed peer");
            mesh.Check(mesh.Removals.Any(r => r.Observer == p.Index && r.Removed == victim.Name), $"peer {p.Index} raised no PeersRemoved for it");
        }
        Assert.Equal(5, mesh.LiveCount);
        output.WriteLine($"forgotten {took.TotalSeconds:0.000} s after the crash (detection delay {mesh.Options.FailureDetectionDelay.TotalSeconds} s)");
        mesh.CheckContract();
    }

    [Fact]
    public void Leave_PeerForgottenByAll()
    {
        SimulatedMesh mesh = Sim.Create(23, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(5);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));

        mesh.Leave(0);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(10), "survivors did not converge after a graceful leave");

        Assert.All(mesh.LivePeers, p => Assert.Equal(4, p.LiveNode.Topology.Count));
        mesh.CheckContract();
    }

    [Fact]
    public void Restarts_NewUidSupersedes_Converges()
    {
        SimulatedMesh mesh = Sim.Create(24, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(6);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));
        ulong oldUid = mesh[2].Identity!.Uid;

        mesh.Restart(2);
        mesh.RunFor(TimeSpan.FromMilliseconds(300));
        mesh.Restart(4);
        mesh.Restart(0);
        mesh.RunUntilConverged(TimeSpan.FromMinutes(2), "no convergence after restarts");

        ulong newUid = mesh[2].Identity!.Uid;
        Assert.NotEqual(oldUid, newUid);
        foreach (SimulatedPeer p in mesh.LivePeers)
        {
            Assert.True(p.LiveNode.Topology.TryGet(mesh[2].Name, out var record));
            Assert.Equal(newUid, record!.Uid);
        }
        mesh.CheckContract();
    }

    [Fact]
    public void CrashedPeer_RestartsLater_Rejoins()
    {
        SimulatedMesh mesh = Sim.Create(25, new SimulationOptions { Mesh = Sim.FastGossip });
        mesh.AddChain(4);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));

        mesh.Crash(1);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(30), "no convergence without peer 1");
        mesh.RunFor(TimeSpan.FromSeconds(30)); // peer 2 keeps retrying its only target with backoff
        mesh.Restart(1);
        mesh.RunUntilConverged(TimeSpan.FromMinutes(10), "peer 1 did not rejoin");

        Assert.Equal(4, mesh.LiveCount);
        mesh.CheckContract();
    }

    /// <summary>
    /// Without a password a restarted peer cannot prove it is the peer its old connections
    /// belong to: it is let in once they have been silent for <c>SupersedeAfterSilence</c>, long
    /// before the old ends would have noticed by themselves (here two minutes), and not before.
    /// </summary>
    [Fact]
    public void RestartUnnoticed_LetInOnceTheOldConnectionsFallSilent()
    {
        var options = new SimulationOptions { Mesh = Sim.FastGossip, FailureDetectionDelay = TimeSpan.FromMinutes(2) };
        SimulatedMesh mesh = Sim.Create(26, options);
        mesh.AddChain(4);
        mesh.RunUntilConverged(TimeSpan.FromSeconds(15));
        ulong oldUid = mesh[1].Identity!.Uid;

        mesh.Restart(1);
        TimeSpan silence = options.Mesh.SupersedeAfterSilence;
        mesh.RunFor(silence - TimeSpan.FromSeconds(1));
        foreach (int other in new[] { 0, 2 })
        {
            mesh.Check(mesh.Node(other).Topology.TryGet(mesh[1].Name, out var before) && before!.Uid == oldUid,
                $"peer {other} took the restarted peer in before its old connection fell silent");
        }

        mesh.RunUntilConverged(TimeSpan.FromSeconds(60), "the restarted peer was not let in after the silence");
        foreach (SimulatedPeer p in mesh.LivePeers)
        {
            Assert.True(p.LiveNode.Topology.TryGet(mesh[1].Name, out var record));
            Assert.NotEqual(oldUid, record!.Uid);
        }
        mesh.CheckContract();
    }
}
