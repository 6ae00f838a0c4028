using System.Net;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>A peer the data plane can send frames to: its name and UDP address, serialised once.</summary>
public sealed class DataPeer
{
    public DataPeer(PeerName name, string display, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Name = name;
        Display = display;
        EndPoint = endPoint;
        Address = UdpEndpoint.FromIPEndPoint(endPoint);
    }

    public PeerName Name { get; }

    /// <summary><c>name(nickname)</c>, for status and logs.</summary>
    public string Display { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The endpoint as a value, compared with received sources and written into sends without allocating.</summary>
    public UdpEndpoint Address { get; }
}
