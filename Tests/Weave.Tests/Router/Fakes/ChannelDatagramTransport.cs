using System.Collections.Concurrent;
using System.Net;
using Weave.Linux;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// An in-memory <see cref="IDatagramTransport"/>: the test delivers datagrams (or GRO runs) "from
/// peers" and takes what the router sent, with its destination and GSO segment size. Thread-safe;
/// <see cref="Receive"/> blocks up to its timeout.
/// </summary>
internal sealed class ChannelDatagramTransport : IDatagramTransport
{
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint From, int SegmentSize)> _incoming = new(new ConcurrentQueue<(byte[], IPEndPoint, int)>());
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint To, int SegmentSize)> _sent = new(new ConcurrentQueue<(byte[], IPEndPoint, int)>());
    private long _sendCount;
    private volatile bool _disposed;

    public ChannelDatagramTransport(int batchSize = 8) => BatchSize = batchSize;

    public int BatchSize { get; }

    /// <summary>When false, <see cref="Send"/> only counts (no copies, so nothing is allocated).</summary>
    public bool Record { get; set; } = true;

    /// <summary>Slots sent (a GSO send counts once).</summary>
    public long SendCount => Interlocked.Read(ref _sendCount);

    /// <summary>Datagrams on the wire: a GSO send counts each of its segments.</summary>
    public long DatagramCount;

    /// <summary>Delivers a datagram, or with <paramref name="segmentSize"/> above 0 a GRO run of datagrams of that size.</summary>
    public void Deliver(byte[] datagram, IPEndPoint from, int segmentSize = 0) => _incoming.Add((datagram, from, segmentSize));

    public bool TryTakeSent(TimeSpan timeout, out (byte[] Datagram, IPEndPoint To) sent)
    {
        bool taken = _sent.TryTake(out var item, timeout);
        sent = (item.Datagram, item.To);
        return taken;
    }

    public bool TryTakeSend(TimeSpan timeout, out (byte[] Datagram, IPEndPoint To, int SegmentSize) sent) => _sent.TryTake(out sent, timeout);

    public int PendingSent => _sent.Count;

    /// <summary>Datagrams (or runs) delivered and not yet received.</summary>
    public int PendingIncoming => _incoming.Count;

    public int Receive(PacketBatch batch, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int limit = Math.Min(batch.Capacity, BatchSize);
        int count = 0;
        while (count < limit && _incoming.TryTake(out var item, count == 0 ? timeoutMilliseconds : 0))
        {
            item.Datagram.CopyTo(batch.Buffers[count], batch.Offsets[count]);
            batch.Lengths[count] = item.Datagram.Length;
            batch.Endpoints[count] = UdpEndpoint.FromIPEndPoint(item.From);
            batch.SegmentSizes[count] = item.SegmentSize;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Send(PacketBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long datagrams = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            int segment = batch.SegmentSizes[i];
            if (batch.Lengths[i] > UdpBatch.MaxIPv4Payload || (segment > 0 && (batch.Lengths[i] + segment - 1) / segment > UdpBatch.MaxGsoSegments))
            {
                throw new InvalidOperationException($"a send the kernel would refuse: {batch.Lengths[i]} bytes in segments of {segment}");
            }
            datagrams += segment > 0 ? (batch.Lengths[i] + segment - 1) / segment : 1;
            if (Record)
            {
                _sent.Add((batch.Packet(i).ToArray(), batch.Endpoints[i].ToIPEndPoint(), segment));
            }
        }
        Interlocked.Add(ref DatagramCount, datagrams);
        Interlocked.Add(ref _sendCount, batch.Count);
        return batch.Count;
    }

    public void Dispose() => _disposed = true;
}
