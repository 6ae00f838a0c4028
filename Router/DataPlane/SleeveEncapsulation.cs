using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>The sleeve header (<see cref="SleeveHeader"/>) to the neighbour's sleeve port, sealed or in clear.</summary>
internal sealed class SleeveEncapsulation(bool isSealed) : Encapsulation
{
    public override string Name => "sleeve";

    public override bool OnSleeveSocket => true;

    public override bool NamesHop => true;

    public override int HeaderBytes { get; } = SleeveHeader.PayloadOffset(isSealed);

    public override int TailBytes { get; } = isSealed ? RecordFormat.TagSizeBytes : 0;

    public override UdpEndpoint EndpointOf(DataPeer hop) => hop.SleeveAddress;

    public override void WriteHeader(Span<byte> destination, SleeveKind kind, PeerName source, PeerName target, int vni) =>
        new SleeveHeader(kind, source, target, isSealed).Write(destination);

    public override bool TrySeal(DataPeer hop, byte[] buffer, Span<DatagramSlice> payloads, ReadOnlySpan<byte> header) =>
        !isSealed || hop.Sealing!.TrySeal(buffer, payloads, header);
}
