using System.Net;
using Weave.Ipam;

namespace Weave.Router.Api;

/// <summary>What the HTTP API asks of the allocator; every call runs on the mesh loop that owns it.</summary>
public interface IIpamControl
{
    /// <summary>An address for <paramref name="id"/> in <paramref name="subnet"/> (the default subnet when null); waits for consensus or space.</summary>
    Task<AllocationResult> AllocateAsync(string id, Cidr? subnet, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct);

    /// <summary>Records <paramref name="address"/> for <paramref name="id"/>, asking its owner for it when another peer owns it.</summary>
    Task<AllocationResult> ClaimAsync(string id, IPAddress address, int prefixLength, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct);

    Task<IReadOnlyList<IpamAllocation>> LookupAsync(string id, CancellationToken ct);

    /// <summary>Frees every address of <paramref name="id"/>, or only <paramref name="address"/>.</summary>
    Task<AllocationResult> ReleaseAsync(string id, IPAddress? address, CancellationToken ct);

    Task<IReadOnlyList<IpamAllocation>> ListAsync(CancellationToken ct);

    /// <summary><c>weave rmpeer</c>: a dead peer's space goes to its heir.</summary>
    Task<RemovePeerResult> RemovePeerAsync(string nameOrNickname, CancellationToken ct);

    /// <summary><c>DELETE /peer</c>: our space goes to a live peer before we leave.</summary>
    Task<RemovePeerResult> HandOffAsync(CancellationToken ct);

    Task<IpamStatus> StatusAsync(CancellationToken ct);
}
