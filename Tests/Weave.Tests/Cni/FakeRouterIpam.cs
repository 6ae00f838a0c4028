using System.Net;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;

namespace Weave.Tests.Cni;

/// <summary>The router's IPAM at the plugin's seam, in memory: for the commands' logic (GC's
/// choice of what to release, STATUS). The HTTP implementation is tested against real routers
/// end to end (Cni2Tests).</summary>
internal sealed class FakeRouterIpam : IRouterIpam
{
    private int _next = 2;

    public Dictionary<string, (CidrAddress Address, Dictionary<string, string> Metadata)> Allocations { get; } = new(StringComparer.Ordinal);

    public List<string> Released { get; } = [];

    public string? NotReadyBecause { get; set; }

    public CidrAddress Allocate(string id, IReadOnlyDictionary<string, string> metadata)
    {
        if (!Allocations.TryGetValue(id, out var existing))
        {
            existing = (new CidrAddress(IPAddress.Parse($"10.32.0.{_next++}"), 12), new Dictionary<string, string>(metadata));
            Allocations[id] = existing;
        }
        return existing.Address;
    }

    public bool Release(string id)
    {
        Released.Add(id);
        return Allocations.Remove(id);
    }

    public IReadOnlyList<CidrAddress> Lookup(string id) => Allocations.TryGetValue(id, out var a) ? [a.Address] : [];

    public IReadOnlyList<OwnedAllocations.Entry> List() =>
        [.. Allocations.Select(a => new OwnedAllocations.Entry { ContainerId = a.Key, Addresses = [a.Value.Address.ToString()], Metadata = a.Value.Metadata })];

    public CidrAddress ExposeBridge() => Allocate(HttpRouterIpam.ExposeId, new Dictionary<string, string>());

    public string? WhyNotReady() => NotReadyBecause;

    public static CniException Unreachable() => new(CniErrorCode.TryAgainLater, "unreachable");
}
