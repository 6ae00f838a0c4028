namespace Weave.Linux;

/// <summary>
/// Where the router meets the bridge: whole Ethernet frames in and out, a batch per call. With
/// <see cref="SupportsOffloads"/>, frames carry a virtio-net header
/// (<see cref="PacketBatch.Offloads"/>): reads may return TCP super-frames (GSO), and writes may
/// hand over super-frames. Any other frame read has its checksums complete: a checksum the kernel
/// left partial is completed by the device, so only a super-frame's segments are checksummed above.
/// </summary>
public interface ITapDevice : IDisposable
{
    string Name { get; }

    /// <summary>The most frames one <see cref="Read"/> returns.</summary>
    int BatchSize { get; }

    /// <summary>Whether frames read may be super-frames to segment, and frames written may be
    /// TCPv4 super-frames with a partial checksum.</summary>
    bool SupportsOffloads { get; }

    /// <summary>
    /// Reads up to <see cref="BatchSize"/> frames, each placed at <see cref="PacketBatch.Headroom"/>
    /// of its slot's buffer with its offloads (none, or a GSO super-frame); sets
    /// <see cref="PacketBatch.Count"/> and returns it. Returns 0 when no frame arrived within
    /// <paramref name="timeoutMilliseconds"/>.
    /// </summary>
    int Read(PacketBatch batch, int timeoutMilliseconds);

    /// <summary>Writes the batch's frames with their offloads; returns how many the device accepted.
    /// Safe to call from two threads at once with different batches (the VXLAN thread's frames, the
    /// TAP thread's ICMP answers), while another thread reads.</summary>
    int Write(PacketBatch batch);
}
