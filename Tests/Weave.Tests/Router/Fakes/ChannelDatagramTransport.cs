using System.Collections.Concurrent;
using System.Net;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// An in-memory <see cref="IDatagramTransport"/>: the test delivers datagrams "from peers" and
/// takes what the router sent, with its destination. Thread-safe; <see cref="Receive"/> blocks up
/// to its timeout.
/// </summary>
internal sealed class ChannelDatagramTransport : IDatagramTransport
{
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint From)> _incoming = new(new ConcurrentQueue<(byte[], IPEndPoint)>());
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint To)> _sent = new(new ConcurrentQueue<(byte[], IPEndPoint)>());
    private long _sendCount;
    private volatile bool _disposed;

    public ChannelDatagramTransport(int batchSize = 8) => BatchSize = batchSize;

    public int BatchSize { get; }

    /// <summary>When false, <see cref="Send"/> only counts (no copies, so nothing is allocated).</summary>
    public bool Record { get; set; } = true;

    public long SendCount => Interlocked.Read(ref _sendCount);

    public void Deliver(byte[] datagram, IPEndPoint from) => _incoming.Add((datagram, from));

    public bool TryTakeSent(TimeSpan timeout, out (byte[] Datagram, IPEndPoint To) sent) => _sent.TryTake(out sent, timeout);

    public int PendingSent => _sent.Count;

    public int Receive(PacketBatch batch, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int count = 0;
        while (count < limit && _incoming.TryTake(out var item, count == 0 ? timeoutMilliseconds : 0))
        {
            item.Datagram.CopyTo(batch.Buffers[count], batch.Offsets[count]);
            batch.Lengths[count] = item.Datagram.Length;
            SocketAddress source = item.From.Serialize();
            SocketAddress slot = batch.Addresses[count];
            source.Buffer.Span.CopyTo(slot.Buffer.Span);
            slot.Size = source.Size;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Send(PacketBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Record)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var to = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(batch.Addresses[i]);
                _sent.Add((batch.Packet(i).ToArray(), to));
            }
        }
        Interlocked.Add(ref _sendCount, batch.Count);
        return batch.Count;
    }

    public void Dispose() => _disposed = true;
}
