namespace Weave.Router.DataPlane;

/// <summary>
/// The underlay: UDP datagrams to and from peers. Batch-shaped like <see cref="ITapDevice"/>, so
/// recvmmsg/sendmmsg and UDP GSO/GRO fit behind it later.
/// </summary>
public interface IDatagramTransport : IDisposable
{
    int BatchSize { get; }

    /// <summary>
    /// Receives up to <see cref="BatchSize"/> datagrams, each placed at the slot's current offset,
    /// with its source in <see cref="PacketBatch.Addresses"/>; returns the count, 0 on timeout.
    /// </summary>
    int Receive(PacketBatch batch, int timeoutMilliseconds);

    /// <summary>Sends each slot to its address; returns how many were handed to the kernel.</summary>
    int Send(PacketBatch batch);
}
