namespace Weave.Cni.RouterApi;

/// <summary>
/// The router's IP allocation as the plugin uses it (the seam to the outside: HTTP in production).
/// Every method throws <see cref="Spec.CniException"/> with code 11 when the router cannot be
/// reached or is not ready, and 101 when it refuses, with its reason.
/// </summary>
public interface IRouterIpam
{
    /// <summary>Metadata keys the router keeps with an allocation: the pod (shown by <c>weave ps</c>)
    /// and the CNI network and interface (so GC releases only this network's allocations).</summary>
    public const string NetworkKey = "CNI_NETWORK";
    public const string IfNameKey = "CNI_IFNAME";

    /// <summary>The pod interface's MAC, which <c>weave ps</c> shows.</summary>
    public const string MacKey = "MAC";

    /// <summary><c>POST /ip/{id}</c>: the ID's address in the default subnet (the same one again when it has one).</summary>
    CidrAddress Allocate(string id, IReadOnlyDictionary<string, string> metadata);

    /// <summary><c>DELETE /ip/{id}</c>; false when the router had no address for the ID.</summary>
    bool Release(string id);

    /// <summary><c>GET /ip/{id}</c>; empty when the router has none.</summary>
    IReadOnlyList<CidrAddress> Lookup(string id);

    /// <summary><c>GET /ip</c>: every allocation of this router.</summary>
    IReadOnlyList<OwnedAllocations.Entry> List();

    /// <summary>An address for the bridge <c>weave</c> (Weave's <c>weave:expose</c>), claimed and put on the bridge by the router.</summary>
    CidrAddress ExposeBridge();

    /// <summary><c>GET /status/ipam</c>: null when IP allocation is ready, else why not.</summary>
    string? WhyNotReady();
}
