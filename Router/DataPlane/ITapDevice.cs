namespace Weave.Router.DataPlane;

/// <summary>
/// Where the router meets the bridge: whole Ethernet frames in and out. Batch-shaped: an
/// implementation may move one frame per call or many.
/// </summary>
public interface ITapDevice : IDisposable
{
    string Name { get; }

    /// <summary>The most frames one <see cref="Read"/> returns.</summary>
    int BatchSize { get; }

    /// <summary>
    /// Reads up to <see cref="BatchSize"/> frames, each placed at <see cref="PacketBatch.Headroom"/>
    /// of its slot's buffer; sets <see cref="PacketBatch.Count"/> and returns it. Returns 0 when no
    /// frame arrived within <paramref name="timeoutMilliseconds"/>.
    /// </summary>
    int Read(PacketBatch batch, int timeoutMilliseconds);

    /// <summary>Writes the batch's frames; returns how many the device accepted.</summary>
    int Write(PacketBatch batch);
}
