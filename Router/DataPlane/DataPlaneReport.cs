namespace Weave.Router.DataPlane;

/// <summary>
/// The data plane for <c>/report</c>: how each reachable peer is sent to now (VXLAN straight to it,
/// or sleeve through a neighbour), the MAC table's size, and every counter; with the fast path,
/// what the kernel carries.
/// </summary>
public sealed record DataPlaneReport(
    IReadOnlyList<DataPlaneRoute> Routes,
    int Macs,
    IReadOnlyList<(string Name, long Value)> Counters)
{
    public Kernel.KernelPathReport? Kernel { get; init; }
}
