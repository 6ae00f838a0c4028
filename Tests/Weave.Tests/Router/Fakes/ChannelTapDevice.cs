using System.Collections.Concurrent;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// An in-memory <see cref="ITapDevice"/>: the test injects frames "from the bridge" and takes the
/// frames the router wrote "to the bridge". Thread-safe; <see cref="Read"/> blocks up to its timeout.
/// </summary>
internal sealed class ChannelTapDevice : ITapDevice
{
    private readonly BlockingCollection<byte[]> _fromBridge = new(new ConcurrentQueue<byte[]>());
    private readonly BlockingCollection<byte[]> _toBridge = new(new ConcurrentQueue<byte[]>());
    private long _writeCount;
    private volatile bool _disposed;

    public ChannelTapDevice(int batchSize = 8) => BatchSize = batchSize;

    public string Name => "fake-tap";

    public int BatchSize { get; }

    /// <summary>When false, <see cref="Write"/> only counts (no copies, so nothing is allocated).</summary>
    public bool Record { get; set; } = true;

    public long WriteCount => Interlocked.Read(ref _writeCount);

    /// <summary>How many frames the next writes accept at most (the rest are refused), or -1 for all.</summary>
    public int AcceptLimit { get; set; } = -1;

    public void Inject(byte[] frame) => _fromBridge.Add(frame);

    public bool TryTakeWritten(TimeSpan timeout, out byte[] frame) => _toBridge.TryTake(out frame!, timeout);

    public int PendingWritten => _toBridge.Count;

    public int Read(PacketBatch batch, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int count = 0;
        while (count < limit && _fromBridge.TryTake(out byte[]? frame, count == 0 ? timeoutMilliseconds : 0))
        {
            frame.CopyTo(batch.Buffers[count], PacketBatch.Headroom);
            batch.Offsets[count] = PacketBatch.Headroom;
            batch.Lengths[count] = frame.Length;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Write(PacketBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int accepted = AcceptLimit < 0 ? batch.Count : Math.Min(AcceptLimit, batch.Count);
        if (Record)
        {
            for (int i = 0; i < accepted; i++)
            {
                _toBridge.Add(batch.Packet(i).ToArray());
            }
        }
        Interlocked.Add(ref _writeCount, accepted);
        return accepted;
    }

    public void Dispose() => _disposed = true;
}
