using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>VXLAN (<see cref="VxlanHeader"/>) to the neighbour's VXLAN port.</summary>
internal sealed class VxlanEncapsulation : Encapsulation
{
    public override string Name => "vxlan";

    public override bool OnSleeveSocket => false;

    public override bool NamesHop => false;

    public override int HeaderBytes => VxlanHeader.SizeBytes;

    public override UdpEndpoint EndpointOf(DataPeer hop) => hop.Address;

    public override void WriteHeader(Span<byte> destination, SleeveKind kind, PeerName source, PeerName target, int vni) =>
        VxlanHeader.Write(destination, vni);
}
