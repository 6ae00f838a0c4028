using System.Net;

namespace Weave.Lab;

/// <summary>
/// A pod: its own namespace whose <c>eth0</c> is one end of a veth; the other end hangs on its
/// host's bridge <c>weave</c>, as the CNI plugin would attach it.
/// </summary>
public sealed class LabPod : LabNode
{
    internal LabPod(NetLab lab, LabHost host, string name, string netns, IPNetwork cidr, IPAddress address, string hostLink)
        : base(lab, name, netns)
    {
        Host = host;
        Cidr = cidr;
        Address = address;
        HostLink = hostLink;
    }

    public LabHost Host { get; }

    /// <summary>The pod's address on <c>eth0</c>.</summary>
    public IPAddress Address { get; }

    /// <summary>The subnet <c>eth0</c> is on, e.g. 10.32.0.0/12.</summary>
    public IPNetwork Cidr { get; }

    /// <summary>The host's end of the pod's veth, a port of the host's bridge <c>weave</c>.</summary>
    public string HostLink { get; }
}
