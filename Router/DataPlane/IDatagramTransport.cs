namespace Weave.Router.DataPlane;

/// <summary>
/// The underlay: UDP datagrams to and from peers, a batch per call (recvmmsg/sendmmsg), with UDP
/// GSO sends and GRO receives when <see cref="SupportsSegmentation"/>.
/// </summary>
public interface IDatagramTransport : IDisposable
{
    /// <summary>The most slots one <see cref="Receive"/> fills; receive batches have at least this capacity.</summary>
    int BatchSize { get; }

    /// <summary>
    /// Whether <see cref="Send"/> takes slots with a <see cref="PacketBatch.SegmentSizes"/> above 0
    /// (at most 64 datagrams, 65,507 bytes in all) and <see cref="Receive"/> may return GRO runs.
    /// When false every slot is one datagram.
    /// </summary>
    bool SupportsSegmentation { get; }

    /// <summary>
    /// Receives up to <see cref="BatchSize"/> slots, each placed at the slot's current offset, with
    /// its length, source (<see cref="PacketBatch.Endpoints"/>) and segment size (0 for a single
    /// datagram, else a GRO run to split at multiples of it); returns the count, 0 on timeout.
    /// </summary>
    int Receive(PacketBatch batch, int timeoutMilliseconds);

    /// <summary>Sends each slot to its endpoint (with GSO when its segment size is above 0); returns
    /// how many slots were handed to the kernel (or dropped by it).</summary>
    int Send(PacketBatch batch);
}
