namespace Weave.Router.DataPlane;

/// <summary>
/// How frames reach a neighbour that is their destination, fixed per connection by what both ends
/// run (docs/dataplane.md), and so which heartbeats prove the way.
/// </summary>
public enum NeighbourPath
{
    /// <summary>Both routers read their VXLAN port themselves: the router sends VXLAN, and zero-MAC
    /// heartbeats on both VXLAN ports join the sleeve's.</summary>
    Vxlan,

    /// <summary>Both routers gave their VXLAN port to the kernel (the fast path): frames between
    /// pods whose MACs the router pinned go from bridge to bridge by the kernels' VXLAN devices;
    /// what the router itself sends goes by sleeve, so the other router sees it and learns its
    /// MACs. Probes through both kernels (<see cref="ProbeFrame"/>) join the sleeve's heartbeats.</summary>
    Kernel,

    /// <summary>Sleeve alone: the data is sealed, or only one end runs the fast path (one router
    /// cannot send from the port the other's VXLAN receiver hears).</summary>
    Sleeve,
}
