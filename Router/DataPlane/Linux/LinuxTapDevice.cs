using Weave.Linux;

namespace Weave.Router.DataPlane.Linux;

/// <summary>
/// <see cref="ITapDevice"/> over a Linux TAP device, plain or with a virtio-net header
/// (<see cref="TapDevice.CreateWithVirtioNetHeader"/>: offloads). One frame per system call (a
/// TAP has no batched read); with offloads a frame is up to a 64 KB super-frame, so a call moves
/// up to 45 MTU-sized frames. A read batch is filled with whatever is already queued after the
/// first frame arrives. Writes put the virtio header in front with writev, so frames need no room
/// for it.
/// </summary>
public sealed class LinuxTapDevice : ITapDevice
{
    private readonly TapDevice _tap;

    public LinuxTapDevice(TapDevice tap) => _tap = tap;

    /// <summary>The device, for a <see cref="LinuxDataReadiness"/>.</summary>
    internal TapDevice Device => _tap;

    public string Name => _tap.Name;

    public int BatchSize => 32;

    public bool SupportsOffloads => _tap.VirtioNetHeaderSize == VirtioNetHeader.Size;

    public int Read(PacketBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int header = _tap.VirtioNetHeaderSize;
        int count = 0;
        while (count < limit)
        {
            // The virtio header lands in the headroom, so the frame starts at the headroom.
            Span<byte> space = batch.Buffers[count].AsSpan(PacketBatch.Headroom - header);
            int length = _tap.Read(space, count == 0 ? timeoutMilliseconds : 0);
            if (length == 0)
            {
                break;
            }
            if (header == 0)
            {
                batch.Offloads[count] = default;
            }
            else if (length < header || !VirtioNetHeader.TryRead(space, out batch.Offloads[count]))
            {
                continue; // not possible from the kernel; skip rather than hand over garbage
            }
            batch.Offsets[count] = PacketBatch.Headroom;
            batch.Lengths[count] = length - header;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Write(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        bool virtio = SupportsOffloads;
        // On the stack, not a field: the VXLAN thread writes frames while the TAP thread may write an
        // ICMP answer, and TapDevice.TryWrite is safe from several threads.
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        int written = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            bool accepted;
            if (virtio)
            {
                batch.Offloads[i].TryWrite(header);
                accepted = _tap.TryWrite(header, batch.Packet(i));
            }
            else
            {
                accepted = _tap.TryWrite(batch.Packet(i));
            }
            if (accepted)
            {
                written++;
            }
        }
        return written;
    }

    public void Dispose() => _tap.Dispose();
}
