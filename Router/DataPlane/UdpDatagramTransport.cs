using System.Net;
using System.Net.Sockets;

namespace Weave.Router.DataPlane;

/// <summary>
/// The underlay as a plain UDP socket: one datagram per system call for now (batched
/// recvmmsg/sendmmsg and GSO/GRO come with the data-plane work behind the same interface).
/// Non-allocating span and <see cref="SocketAddress"/> overloads throughout.
/// </summary>
public sealed class UdpDatagramTransport : IDatagramTransport
{
    private const int SocketBufferBytes = 4 << 20;
    private readonly Socket _socket;

    private UdpDatagramTransport(Socket socket) => _socket = socket;

    public int BatchSize => 32;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Binds the data-plane port; throws <see cref="SocketException"/> when it is taken.</summary>
    public static UdpDatagramTransport Bind(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Frames are sized for the overlay MTU; should the underlay be smaller, let the kernel
            // fragment rather than silently drop (path MTU handling comes with the data plane).
            socket.DontFragment = false;
            socket.ReceiveBufferSize = SocketBufferBytes;
            socket.SendBufferSize = SocketBufferBytes;
            socket.Bind(local);
            return new UdpDatagramTransport(socket);
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
        int count = 0;
        if (!_socket.Poll(TimeSpan.FromMilliseconds(timeoutMilliseconds), SelectMode.SelectRead))
        {
            batch.Count = 0;
            return 0;
        }
        int limit = Math.Min(batch.Capacity, BatchSize);
        while (count < limit && (count == 0 || _socket.Available > 0))
        {
            try
            {
                Span<byte> space = batch.Buffers[count].AsSpan(batch.Offsets[count]);
                batch.Lengths[count] = _socket.ReceiveFrom(space, SocketFlags.None, batch.Addresses[count]);
                count++;
            }
            catch (SocketException)
            {
                // An ICMP error queued for an earlier send; nothing to deliver.
                break;
            }
        }
        batch.Count = count;
        return count;
    }

    public int Send(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int sent = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            try
            {
                _socket.SendTo(batch.Packet(i), SocketFlags.None, batch.Addresses[i]);
                sent++;
            }
            catch (SocketException)
            {
                // Counted by the caller as a send failure (no route, buffer full, ICMP error).
            }
        }
        return sent;
    }

    public void Dispose() => _socket.Dispose();
}
