using System.Collections.Concurrent;
using Weave.Linux;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// An in-memory <see cref="ITapDevice"/>: the test injects frames "from the bridge" (with offloads:
/// super-frames, partial checksums) and takes the frames the router wrote "to the bridge", with
/// their virtio-net headers. Thread-safe; <see cref="Read"/> blocks up to its timeout.
/// </summary>
internal sealed class ChannelTapDevice : ITapDevice
{
    private readonly BlockingCollection<(byte[] Frame, VirtioNetHeader Offload)> _fromBridge = new(new ConcurrentQueue<(byte[], VirtioNetHeader)>());
    private readonly BlockingCollection<(byte[] Frame, VirtioNetHeader Offload)> _toBridge = new(new ConcurrentQueue<(byte[], VirtioNetHeader)>());
    private long _writeCount;
    private volatile bool _disposed;

    public ChannelTapDevice(int batchSize = 8, bool supportsOffloads = true)
    {
        BatchSize = batchSize;
        SupportsOffloads = supportsOffloads;
    }

    public string Name => "fake-tap";

    public int BatchSize { get; }

    public bool SupportsOffloads { get; }

    /// <summary>When false, <see cref="Write"/> only counts (no copies, so nothing is allocated).</summary>
    public bool Record { get; set; } = true;

    public long WriteCount => Interlocked.Read(ref _writeCount);

    /// <summary>How many frames the next writes accept at most (the rest are refused), or -1 for all.</summary>
    public int AcceptLimit { get; set; } = -1;

    public void Inject(byte[] frame, VirtioNetHeader offload = default) => _fromBridge.Add((frame, offload));

    public bool TryTakeWritten(TimeSpan timeout, out byte[] frame)
    {
        bool taken = _toBridge.TryTake(out var item, timeout);
        frame = item.Frame;
        return taken;
    }

    public bool TryTakeWrittenWithOffload(TimeSpan timeout, out (byte[] Frame, VirtioNetHeader Offload) written) => _toBridge.TryTake(out written, timeout);

    public int PendingWritten => _toBridge.Count;

    /// <summary>Frames injected and not yet read.</summary>
    public int PendingFromBridge => _fromBridge.Count;

    public int Read(PacketBatch batch, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int count = 0;
        while (count < limit && _fromBridge.TryTake(out var item, count == 0 ? timeoutMilliseconds : 0))
        {
            item.Frame.CopyTo(batch.Buffers[count], PacketBatch.Headroom);
            batch.Offsets[count] = PacketBatch.Headroom;
            batch.Lengths[count] = item.Frame.Length;
            batch.Offloads[count] = item.Offload;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Write(PacketBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int accepted = AcceptLimit < 0 ? batch.Count : Math.Min(AcceptLimit, batch.Count);
        for (int i = 0; i < accepted; i++)
        {
            if (batch.Offloads[i].IsGso && !SupportsOffloads)
            {
                throw new InvalidOperationException("a super-frame written to a TAP without offloads");
            }
            if (Record)
            {
                _toBridge.Add((batch.Packet(i).ToArray(), batch.Offloads[i]));
            }
        }
        Interlocked.Add(ref _writeCount, accepted);
        return accepted;
    }

    public void Dispose() => _disposed = true;
}
