using Weave.Linux;

namespace Weave.Router.DataPlane.Linux;

/// <summary>
/// <see cref="ITapDevice"/> over a Linux TAP device. One frame per system call; a read batch is
/// filled with whatever is already queued after the first frame arrives.
/// </summary>
public sealed class LinuxTapDevice : ITapDevice
{
    private readonly TapDevice _tap;

    public LinuxTapDevice(TapDevice tap) => _tap = tap;

    public string Name => _tap.Name;

    public int BatchSize => 32;

    public int Read(PacketBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int count = 0;
        while (count < limit)
        {
            int length = _tap.Read(batch.Buffers[count].AsSpan(PacketBatch.Headroom), count == 0 ? timeoutMilliseconds : 0);
            if (length == 0)
            {
                break;
            }
            batch.Offsets[count] = PacketBatch.Headroom;
            batch.Lengths[count] = length;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Write(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int written = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (_tap.TryWrite(batch.Packet(i)))
            {
                written++;
            }
        }
        return written;
    }

    public void Dispose() => _tap.Dispose();
}
