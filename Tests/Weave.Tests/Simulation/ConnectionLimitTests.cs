using Xunit;
using Weave.Gossip.Mesh;
using Weave.Simulation;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>The connection limit must not keep a newcomer out (a bug the simulator found).</summary>
public sealed class ConnectionLimitTests(ITestOutputHelper output)
{
    /// <summary>
    /// With a connection limit below N - 1, discovery fills every peer up to the limit, and then a
    /// newcomer is refused by everyone it dials ("connection limit reached") and never joins.
    /// </summary>
    [Fact]
    public void Join_AllPeersAtConnectionLimit_NewcomerStillJoins()
    {
        SimulatedMesh mesh = Sim.Create(62, new SimulationOptions { Mesh = new MeshOptions { ConnectionLimit = 2 } });
        mesh.AddChain(5);
        mesh.RunFor(TimeSpan.FromMinutes(2));

        int newcomer = mesh.AddPeer(0);
        bool joined = mesh.RunUntil(() => mesh.ConnectedTo(newcomer).Count > 0 && mesh.TopologiesAgree(), TimeSpan.FromMinutes(10));

        output.WriteLine(string.Join("\n", mesh.Peers.Select(p => $"{p.Index}: [{string.Join(",", mesh.ConnectedTo(p.Index))}]")));
        mesh.Check(joined, "the newcomer never joined");
    }
}
