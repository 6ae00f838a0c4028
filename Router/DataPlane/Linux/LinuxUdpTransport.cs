using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Weave.Linux;

namespace Weave.Router.DataPlane.Linux;

/// <summary>
/// <see cref="IDatagramTransport"/> over a <see cref="UdpBatchSocket"/>: one recvmmsg per receive
/// batch, straight into the <see cref="PacketBatch"/>'s pinned buffers, with UDP GRO (a slot holds
/// a run of datagrams of one size); sendmmsg for a send batch, each slot pointing at the caller's
/// bytes, GSO slots with UDP_SEGMENT. No copy and no allocation per call.
/// </summary>
/// <remarks>One thread receives; sends are serialised by a lock around the native send batch, as
/// the sleeve socket has two senders (the TAP thread and the sleeve thread's relays). The lock is
/// taken once per batch, not per datagram, and is uncontended on the VXLAN socket.</remarks>
public sealed unsafe class LinuxUdpTransport : IDatagramTransport
{
    private const int SocketBufferBytes = 16 << 20;
    private const int SendBatchSlots = 64;
    private const int SendTimeoutMilliseconds = 1000;

    private readonly UdpBatchSocket _socket;
    private readonly UdpBatch _receive;
    private readonly UdpBatch _send;
    private readonly Lock _sendLock = new();

    private LinuxUdpTransport(UdpBatchSocket socket)
    {
        _socket = socket;
        // The slots point at the caller's buffers: the batches' own buffers are never used.
        _receive = new UdpBatch(ReceiveBatchSlots, bufferSize: 1);
        _send = new UdpBatch(SendBatchSlots, bufferSize: 1);
    }

    private const int ReceiveBatchSlots = 16;

    /// <summary>The socket, for a <see cref="LinuxDataReadiness"/>.</summary>
    internal UdpBatchSocket Socket => _socket;

    public int BatchSize => ReceiveBatchSlots;

    public bool SupportsSegmentation => true;

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint.ToIPEndPoint();

    /// <summary>Datagrams the kernel refused (no route, too big ...).</summary>
    public long DroppedSends => _socket.DroppedSends;

    /// <summary>Binds the data-plane port with GRO on and path MTU discovery off (the overlay's
    /// frames are sized for its MTU; should the underlay be smaller the kernel fragments).</summary>
    /// <exception cref="LinuxError">The port is taken (EADDRINUSE) or the kernel refused an option.</exception>
    public static LinuxUdpTransport Open(IPEndPoint local)
    {
        UdpBatchSocket socket = UdpBatchSocket.Open(local);
        try
        {
            socket.SetBufferSizes(SocketBufferBytes, SocketBufferBytes);
            socket.DisablePathMtuDiscovery();
            socket.EnableGro();
            return new LinuxUdpTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public int Receive(PacketBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch.Capacity, BatchSize, nameof(batch));
        for (int i = 0; i < BatchSize; i++)
        {
            byte[] buffer = batch.Buffers[i];
            int offset = batch.Offsets[i];
            _receive.SetReceiveBuffer(i, Address(buffer) + offset, buffer.Length - offset);
        }
        int received = _socket.Receive(_receive, timeoutMilliseconds);
        for (int i = 0; i < received; i++)
        {
            // A truncated run cannot be split reliably: an empty slot is dropped as a bad header.
            batch.Lengths[i] = _receive.IsTruncated(i) ? 0 : _receive.GetLength(i);
            batch.SegmentSizes[i] = _receive.GetSegmentSize(i);
            batch.Endpoints[i] = _receive.GetAddress(i);
        }
        batch.Count = received;
        return received;
    }

    public int Send(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_sendLock)
        {
            return SendLocked(batch);
        }
    }

    private int SendLocked(PacketBatch batch)
    {
        int done = 0;
        int failed = 0;
        while (done < batch.Count)
        {
            int count = Math.Min(batch.Count - done, SendBatchSlots);
            for (int i = 0; i < count; i++)
            {
                int slot = done + i;
                _send.SetExternalDatagram(i, Address(batch.Buffers[slot]) + batch.Offsets[slot], batch.Lengths[slot],
                    batch.Endpoints[slot], batch.SegmentSizes[slot]);
            }
            int sent;
            try
            {
                sent = _socket.Send(_send, count, SendTimeoutMilliseconds);
            }
            catch (LinuxError)
            {
                // An error sendmmsg reports for the first datagram that the socket does not count
                // as one datagram's (say an address family the socket cannot reach): skip that one,
                // so one bad destination never stops the data plane.
                done++;
                failed++;
                continue;
            }
            done += sent;
            if (sent < count)
            {
                break; // the socket buffer stayed full: the rest is dropped (counted by the caller)
            }
        }
        return done - failed;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _receive.Dispose();
        _send.Dispose();
    }

    /// <summary>The address of a pinned array's first byte (every buffer of a PacketBatch is pinned).</summary>
    private static byte* Address(byte[] buffer) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
}
