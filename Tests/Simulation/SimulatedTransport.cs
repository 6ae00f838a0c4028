using Weave.Gossip;
using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>A node's way out into the simulated network, bound to one incarnation of one peer.</summary>
internal sealed class SimulatedTransport(SimulatedMesh mesh, SimulatedPeer peer, int incarnation) : IMeshTransport
{
    public void Dial(PeerAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        mesh.OnDial(peer, incarnation, address);
    }
}
