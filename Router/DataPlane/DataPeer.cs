using System.Net;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// A neighbour the data plane can send frames to: its name and two UDP addresses (VXLAN, and the
/// sleeve port for relayed frames), each serialised once. With <see cref="Sealing"/> (a password)
/// everything to and from it is a sealed sleeve datagram: its VXLAN port is neither used nor heard.
/// <see cref="Path"/> says how frames for it travel when it is their destination.
/// </summary>
public sealed class DataPeer
{
    /// <param name="endPoint">Its VXLAN address (the mesh port + 1 by default).</param>
    /// <param name="sleeveEndPoint">Its sleeve address; by default the same host at
    /// <paramref name="endPoint"/>'s port − 1, the mesh port, where our routers put it.</param>
    /// <param name="sealing">The connection's data keys when the data between us is sealed; null for plaintext.</param>
    /// <param name="path">How direct frames travel between us in clear; always <see cref="NeighbourPath.Sleeve"/> when sealed.</param>
    public DataPeer(PeerName name, string display, IPEndPoint endPoint, IPEndPoint? sleeveEndPoint = null, DataSealing? sealing = null,
        NeighbourPath path = NeighbourPath.Vxlan)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Name = name;
        Display = display;
        EndPoint = endPoint;
        Address = UdpEndpoint.FromIPEndPoint(endPoint);
        SleeveEndPoint = sleeveEndPoint ?? new IPEndPoint(endPoint.Address, endPoint.Port - 1);
        SleeveAddress = UdpEndpoint.FromIPEndPoint(SleeveEndPoint);
        Sealing = sealing;
        Path = sealing is null ? path : NeighbourPath.Sleeve;
        BridgeMac = Path == NeighbourPath.Kernel ? DataPlane.BridgeMac.Of(name) : 0;
        Health = new PathHealth(requireVxlan: Path != NeighbourPath.Sleeve);
    }

    /// <summary>The data keys when our data is sealed, else null.</summary>
    public DataSealing? Sealing { get; }

    public bool Seals => Sealing is not null;

    public NeighbourPath Path { get; }

    /// <summary>Its bridge's MAC, where our probes go, on the <see cref="NeighbourPath.Kernel"/> path; else 0.</summary>
    public ulong BridgeMac { get; }

    /// <summary>The connection's shared id (both intros' ids combined), which our probes to it
    /// carry and its probes to us must: a pod on either bridge cannot know it, so cannot fake a
    /// working kernel path.</summary>
    public ulong ConnectionUid { get; init; }

    public PeerName Name { get; }

    /// <summary><c>name(nickname)</c>, for status and logs.</summary>
    public string Display { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The VXLAN endpoint as a value, compared with received sources and written into sends without allocating.</summary>
    public UdpEndpoint Address { get; }

    public IPEndPoint SleeveEndPoint { get; }

    /// <summary>The sleeve endpoint as a value.</summary>
    public UdpEndpoint SleeveAddress { get; }

    /// <summary>Heartbeats to and from it on both ports (probes through the kernels on the
    /// <see cref="NeighbourPath.Kernel"/> path), or only the sleeve's (new with each connection).</summary>
    public PathHealth Health { get; }

    /// <summary>It puts chunked super-frames together (said in its intro): sealed TCP super-frames
    /// for it go as <see cref="SleeveKind.Chunk"/> pieces rather than TCP segments.</summary>
    public bool TakesChunks { get; init; }

    /// <summary>The chunked super-frames exchanged with it; the data threads' own.</summary>
    internal PeerChunks Chunks { get; } = new();
}
