using System.Globalization;
using System.Net;
using Weave.Gossip;
using Weave.Gossip.Channels;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Simulation;

/// <summary>
/// Each cluster's IP allocation gossips on a channel of its own (<c>ipam:&lt;cluster&gt;</c>), which
/// peers of other clusters do not know and relay. Split into K clusters, N peers must not pay more
/// for that periodic gossip than one cluster of N does: each state is smaller (it covers N / K
/// peers), and each peer must relay each foreign cluster's state once per interval, not once per
/// peer of that cluster that sent it.
/// </summary>
public sealed class ForeignChannelGossipTests(ITestOutputHelper output)
{
    private const int Peers = 60;

    /// <summary>What a settled allocation ring of one peer costs to encode, about; the exact size does not matter, its growth with the cluster does.</summary>
    private const int StateBytesPerPeer = 40;

    [Fact]
    public void SixClustersOfTen_SettledChannelGossip_CostsNoMorePerPeerThanOneClusterOfSixty()
    {
        double one = ChannelGossipBytesPerPeerMinute(clusters: 1);
        double six = ChannelGossipBytesPerPeerMinute(clusters: 6);

        output.WriteLine($"channel gossip per peer per minute: 1 cluster {one:0} B, 6 clusters {six:0} B, ratio {six / one:0.00}");
        Assert.True(six <= one * 1.25, $"6 clusters of 10 gossip {six:0} B per peer per minute, one cluster of 60 {one:0} B");
    }

    /// <summary>A sparse mesh (as bench/mesh-scale above 100 peers) with each cluster's channel in sync everywhere; bytes of periodic channel gossip over 5 simulated minutes.</summary>
    private static double ChannelGossipBytesPerPeerMinute(int clusters)
    {
        SimulatedMesh mesh = Sim.Create(2121, new SimulationOptions { Mesh = new MeshOptions { Discovery = false }, TraceLines = 0 });
        var choose = new Random(1);
        var clusterOf = new ClusterIdentity[Peers];
        for (int i = 0; i < Peers; i++)
        {
            int k = i * clusters / Peers;
            Assert.True(ClusterIdentity.TryCreate(string.Create(CultureInfo.InvariantCulture, $"c{k}"),
                IPNetwork.Parse(string.Create(CultureInfo.InvariantCulture, $"10.{32 + k}.0.0/16")), out ClusterIdentity? cluster, out string error), error);
            clusterOf[i] = cluster;
            mesh.AddPeerIn(cluster, [.. Enumerable.Range(0, Math.Min(i, 3)).Select(_ => choose.Next(i)).Distinct()]);
        }
        bool agreed = mesh.RunUntil(() => mesh.TopologiesAgree(deep: false), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        mesh.Check(agreed, $"{clusters} clusters: topologies did not agree: {mesh.TopologyDisagreement(deep: false)}");
        for (int i = 0; i < Peers; i++)
        {
            ClusterIdentity cluster = clusterOf[i];
            byte[] state = new byte[StateBytesPerPeer * Peers / clusters];
            System.Text.Encoding.ASCII.GetBytes(cluster.Name).CopyTo(state, 0);
            mesh.Do(i, node => node.RegisterChannel("ipam:" + cluster.Name, new SettledGossiper(state)));
        }
        mesh.RunFor(TimeSpan.FromMinutes(1));

        long before = mesh.Counters.BytesWithTag((byte)FrameTag.Gossip);
        mesh.RunFor(TimeSpan.FromMinutes(5));
        long sent = mesh.Counters.BytesWithTag((byte)FrameTag.Gossip) - before;

        mesh.Check(sent > 0, $"{clusters} clusters: no channel gossip at all");
        mesh.CheckContract();
        return sent / (Peers * 5.0);
    }

    /// <summary>A gossiper whose state every peer of its cluster already holds: it merges nothing and relays nothing.</summary>
    private sealed class SettledGossiper(byte[] state) : IGossiper
    {
        public void OnUnicast(PeerName source, ReadOnlyMemory<byte> message)
        {
        }

        public byte[]? OnBroadcast(PeerName source, ReadOnlyMemory<byte> update) => null;

        public byte[]? OnGossip(ReadOnlyMemory<byte> state) => null;

        public byte[] FullState() => state;
    }
}
