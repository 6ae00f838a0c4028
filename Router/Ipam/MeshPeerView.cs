using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Weave.Ipam;

namespace Weave.Router.Ipam;

/// <summary>
/// The allocator's view of the mesh: the peers of our cluster in our topology but us, reachable
/// when a data route leads to it (established, symmetric links) in the topology as it is now
/// (<see cref="MeshNode.CurrentDataRoutes"/>, not the data plane's coalesced table, which lags the
/// records it is read with). Peers of other clusters share
/// the mesh but not the ring, so they count for nothing here: not in consensus quorums, not as
/// donors, not as unreachable owners. A record that names no cluster is an older router's, which
/// allocates with whoever it meets, so it counts as ours. Read on the mesh loop only.
/// </summary>
internal sealed class MeshPeerView(MeshNode node) : IPeerView
{
    public IReadOnlyCollection<IpamPeer> Peers
    {
        get
        {
            var peers = new List<IpamPeer>(node.Topology.Count);
            foreach (PeerRecord record in node.Topology.Records)
            {
                if (record.Name != node.Self.Name && IsOurs(node.Self.Cluster, record.Cluster))
                {
                    peers.Add(new IpamPeer(record.Name, record.NickName, node.CurrentDataRoutes.TryGetNextHop(record.Name, out _)));
                }
            }
            return peers;
        }
    }

    /// <summary>Whether a peer of cluster <paramref name="theirs"/> shares our allocation (a side that names none does).</summary>
    public static bool IsOurs(ClusterIdentity? ours, ClusterIdentity? theirs) =>
        ours is null || theirs is null || ours.Name == theirs.Name;
}
