using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;
using Weave.Ipam;

namespace Weave.Router.Ipam;

/// <summary>
/// The allocator's view of the mesh: every peer in our topology but us, reachable when a data
/// route leads to it (established, symmetric links). Read on the mesh loop only.
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
                if (record.Name != node.Self.Name)
                {
                    peers.Add(new IpamPeer(record.Name, record.NickName, node.DataRoutes.TryGetNextHop(record.Name, out _)));
                }
            }
            return peers;
        }
    }
}
