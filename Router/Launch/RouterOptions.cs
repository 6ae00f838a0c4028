using System.Net;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Mesh;

namespace Weave.Router.Launch;

/// <summary>
/// Everything <c>weave launch</c> is configured with. One type, filled from flags now and from
/// environment variables (weave-kube's names) when Kubernetes packaging arrives.
/// </summary>
public sealed record RouterOptions
{
    public const int DefaultPort = 6783;

    /// <summary>Weave Net's default overlay MTU: fits a 1460-byte underlay with room for encryption later.</summary>
    public const int DefaultMtu = 1376;

    public const string DefaultBridge = "weave";
    public const string DefaultTap = "vethwe-tap";

    /// <summary>The VXLAN network identifier of plaintext direct traffic.</summary>
    public const int DefaultVni = 6783;

    public static readonly IPEndPoint DefaultHttpEndPoint = new(IPAddress.Loopback, 6784);

    public PeerName Name { get; init; }
    public required string NickName { get; init; }
    public IPAddress Host { get; init; } = IPAddress.Any;

    /// <summary>TCP port of the control connections.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>UDP port of VXLAN traffic: the control port + 1 (6784), as Weave's fast path used.</summary>
    public int DataPort => Port + 1;

    public int Mtu { get; init; } = DefaultMtu;
    public int Vni { get; init; } = DefaultVni;
    public IPEndPoint HttpEndPoint { get; init; } = DefaultHttpEndPoint;
    public string Bridge { get; init; } = DefaultBridge;
    public string Tap { get; init; } = DefaultTap;
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];
}
