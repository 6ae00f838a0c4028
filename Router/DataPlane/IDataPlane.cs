using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// What the control plane tells the data plane: which peers frames may go to. One seam, so a path
/// can later be chosen per peer (userspace VXLAN, sleeve, kernel VXLAN fast path) without the
/// mesh knowing how frames travel.
/// </summary>
public interface IDataPlane
{
    void AddPeer(DataPeer peer);

    void RemovePeer(PeerName name);
}
