namespace Weave.Linux;

/// <summary>
/// The underlay: UDP datagrams to and from peers, a batch per call (recvmmsg/sendmmsg). Segmenting
/// and coalescing of datagrams are the transport's: a send slot may hold a run of equal-sized
/// datagrams (UDP GSO), and a received slot may hold a run the kernel coalesced (UDP GRO).
/// </summary>
public interface IDatagramTransport : IDisposable
{
    /// <summary>The most slots one <see cref="Receive"/> fills; receive batches have at least this capacity.</summary>
    int BatchSize { get; }

    /// <summary>
    /// Receives up to <see cref="BatchSize"/> slots, each placed at the slot's current offset, with
    /// its length, source (<see cref="PacketBatch.Endpoints"/>) and segment size (0 for a single
    /// datagram, else a GRO run to split at multiples of it); returns the count, 0 on timeout.
    /// </summary>
    int Receive(PacketBatch batch, int timeoutMilliseconds);

    /// <summary>Sends each slot to its endpoint; a slot with a <see cref="PacketBatch.SegmentSizes"/>
    /// above 0 is a run of datagrams of that size (the last may be shorter), at most
    /// <see cref="UdpBatch.MaxGsoSegments"/> of them and <see cref="UdpBatch.MaxIPv4Payload"/> bytes in
    /// all. Returns how many slots were handed to the kernel (or dropped by it).</summary>
    int Send(PacketBatch batch);
}
