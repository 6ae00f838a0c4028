using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// A UDP socket for the data plane, over a raw descriptor: batches of datagrams move with one
/// recvmmsg or sendmmsg through a <see cref="UdpBatch"/>, sends may carry a GSO segment size
/// (UDP_SEGMENT) and receives may coalesce (UDP_GRO, <see cref="EnableGro"/>). As an
/// <see cref="IDatagramTransport"/> (<see cref="OpenForOverlay"/>) it does the same for a
/// <see cref="PacketBatch"/>, its slots pointing straight at the batch's pinned buffers. Nothing is
/// allocated per call. The descriptor is O_NONBLOCK | O_CLOEXEC; a call that must wait polls,
/// together with an eventfd that <see cref="Dispose"/> signals.
/// </summary>
/// <remarks>
/// Meant for dedicated threads: one receiving, one sending (each with its own batch). A
/// <see cref="PacketBatch"/> may be sent from several threads (the sleeve socket has two senders,
/// the TAP thread and the sleeve thread's relays): a lock around the native send batch is taken
/// once per batch, not per datagram. Descriptors
/// are closed only when the last in-flight call has returned (SafeHandle reference counting).
/// Send errors that concern one datagram (no route, message too long, refused by a firewall, GSO
/// not possible on the outgoing device) drop that datagram and are counted, so one bad destination
/// never stops a batch; anything else throws a <see cref="LinuxError"/> naming the call.
/// </remarks>
public sealed unsafe class UdpBatchSocket : IDatagramTransport
{
    private const int OverlayBufferBytes = 16 << 20;
    private const int ReceiveSlots = 16;
    private const int SendSlots = 64;
    private const int SendTimeoutMilliseconds = 1000;

    private readonly WakeableDescriptor _socket;
    private readonly UdpBatch _receiveSlots;
    private readonly UdpBatch _sendSlots;
    private readonly Lock _sendLock = new();
    private long _droppedSends;

    private UdpBatchSocket(WakeableDescriptor socket, UdpEndpoint local)
    {
        _socket = socket;
        LocalEndPoint = local;
        // The slots point at a PacketBatch's buffers: their own buffers are never used.
        _receiveSlots = new UdpBatch(ReceiveSlots, bufferSize: 1);
        _sendSlots = new UdpBatch(SendSlots, bufferSize: 1);
    }

    /// <summary>The bound address, with the port the kernel chose when 0 was asked.</summary>
    public UdpEndpoint LocalEndPoint { get; }

    /// <summary>Whether receives coalesce datagrams (<see cref="EnableGro"/>).</summary>
    public bool IsGroEnabled { get; private set; }

    /// <summary>Datagrams dropped because the kernel refused them (see the remarks).</summary>
    public long DroppedSends => Interlocked.Read(ref _droppedSends);

    /// <summary>The errno of the last dropped send, 0 if none.</summary>
    public int LastSendError { get; private set; }

    public static UdpBatchSocket Open(IPEndPoint local) => Open(UdpEndpoint.FromIPEndPoint(local));

    /// <summary>Binds an overlay port: large buffers, GRO on and path MTU discovery off (the
    /// overlay's frames are sized for its MTU; should the underlay be smaller the kernel fragments).</summary>
    /// <exception cref="LinuxError">The port is taken (EADDRINUSE) or the kernel refused an option.</exception>
    public static UdpBatchSocket OpenForOverlay(IPEndPoint local)
    {
        UdpBatchSocket socket = Open(local);
        try
        {
            socket.SetBufferSizes(OverlayBufferBytes, OverlayBufferBytes);
            socket.DisablePathMtuDiscovery();
            socket.EnableGro();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a UDP socket of the endpoint's family bound to it, in the calling thread's
    /// network namespace (an IPv6 socket also takes IPv4 unless the system says otherwise).</summary>
    /// <exception cref="ArgumentException">The endpoint is the default value.</exception>
    /// <exception cref="LinuxError">socket(), bind() or eventfd() failed (EADDRINUSE, EADDRNOTAVAIL ...).</exception>
    public static UdpBatchSocket Open(UdpEndpoint local)
    {
        if (local.Family == AddressFamily.Unspecified)
        {
            throw new ArgumentException("A local address is needed.", nameof(local));
        }
        int family = local.IsIPv4 ? LibC.AF_INET : LibC.AF_INET6;
        int fd = LibC.socket(family, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LinuxError.FromLastError("socket UDP " + local.Family);
        }
        var socket = new FileDescriptorHandle(fd);
        try
        {
            byte* address = stackalloc byte[SocketNative.SockAddrIn6Size];
            int length = local.WriteSockAddr(address);
            if (LibC.bind(fd, (sockaddr*)address, (uint)length) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new LinuxError($"bind UDP {local}", errno);
            }
            uint boundLength = SocketNative.SockAddrIn6Size;
            if (LibC.getsockname(fd, (sockaddr*)address, (socklen_t*)&boundLength) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new LinuxError($"getsockname UDP {local}", errno);
            }
            UdpEndpoint bound = UdpEndpoint.ReadSockAddr(address, (int)boundLength);
            return new UdpBatchSocket(WakeableDescriptor.Create(socket, $"UDP {bound.Port}", typeof(UdpBatchSocket)), bound);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Asks the kernel to coalesce consecutive datagrams of one flow into one receive
    /// slot with their segment size (setsockopt SOL_UDP UDP_GRO); see <see cref="UdpBatch.GetSegmentSize"/>.
    /// Split such a slot at multiples of the segment size.</summary>
    /// <exception cref="LinuxError">The kernel refused (ENOPROTOOPT before Linux 5.0).</exception>
    public void EnableGro()
    {
        SetOption(SocketNative.SOL_UDP, SocketNative.UDP_GRO, 1, "setsockopt UDP_GRO");
        IsGroEnabled = true;
    }

    /// <summary>Sends without the don't-fragment bit (IP_MTU_DISCOVER / IPV6_MTU_DISCOVER
    /// IP_PMTUDISC_DONT): a datagram above the path MTU is fragmented rather than dropped.</summary>
    public void DisablePathMtuDiscovery()
    {
        if (LocalEndPoint.IsIPv4)
        {
            SetOption(LibC.IPPROTO_IP, LibC.IP_MTU_DISCOVER, LibC.IP_PMTUDISC_DONT, "setsockopt IP_MTU_DISCOVER");
        }
        else
        {
            SetOption(LibC.IPPROTO_IPV6, LibC.IPV6_MTU_DISCOVER, LibC.IPV6_PMTUDISC_DONT, "setsockopt IPV6_MTU_DISCOVER");
        }
    }

    /// <summary>
    /// Sets the receive and send buffers (the kernel doubles the values). With CAP_NET_ADMIN
    /// (SO_RCVBUFFORCE / SO_SNDBUFFORCE) the sizes are taken as asked; without it SO_RCVBUF /
    /// SO_SNDBUF are capped at net.core.rmem_max / wmem_max (often 4 MB or less), too little to
    /// absorb a burst of GRO runs while the receiving thread writes to the TAP.
    /// </summary>
    public void SetBufferSizes(int receiveBytes, int sendBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receiveBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sendBytes);
        if (!TrySetOption(LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, receiveBytes))
        {
            SetOption(LibC.SOL_SOCKET, LibC.SO_RCVBUF, receiveBytes, "setsockopt SO_RCVBUF");
        }
        if (!TrySetOption(LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, sendBytes))
        {
            SetOption(LibC.SOL_SOCKET, LibC.SO_SNDBUF, sendBytes, "setsockopt SO_SNDBUF");
        }
    }

    /// <summary>The socket's descriptor, for a <see cref="PollSet"/>.</summary>
    internal FileDescriptorHandle Descriptor => _socket.Descriptor;

    /// <summary>The receive buffer the kernel granted (SO_RCVBUF reads back the doubled size).</summary>
    public int ReceiveBufferBytes => GetOption(LibC.SOL_SOCKET, LibC.SO_RCVBUF, "getsockopt SO_RCVBUF");

    /// <summary>
    /// Receives up to <see cref="UdpBatch.Count"/> datagrams (or GRO runs) into the batch's slots
    /// 0, 1, ... with one recvmmsg; returns how many, or 0 when none arrived within
    /// <paramref name="timeoutMilliseconds"/> (-1 waits forever). EINTR is retried.
    /// </summary>
    /// <exception cref="LinuxError">recvmmsg() or poll() failed otherwise.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed, before or during the call.</exception>
    public int Receive(UdpBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        SocketNative.MMsgHdr* messages = batch.Messages;
        using WakeableDescriptor.Lease lease = _socket.Enter(mayWait: true);
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            _socket.ThrowIfDisposed();
            batch.PrepareReceive();
            int received = SocketNative.recvmmsg(_socket.Fd, messages, (uint)batch.Count, 0, null);
            if (received >= 0)
            {
                batch.CompleteReceive(received);
                return received;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }
            if (errno != LibC.EAGAIN)
            {
                throw new LinuxError("recvmmsg UDP " + LocalEndPoint.Port, errno);
            }
            int remaining = PollTimeout.RemainingMilliseconds(start, timeoutMilliseconds);
            if (remaining == 0 || !_socket.WaitReady(LibC.POLLIN, remaining))
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Sends slots 0 to <paramref name="count"/> - 1 of the batch (prepared with
    /// <see cref="UdpBatch.SetDatagram"/>) with as few sendmmsg calls as the kernel allows, waiting
    /// for room in the socket buffer at most <paramref name="timeoutMilliseconds"/> (-1 forever).
    /// Returns how many slots were dealt with, sent or dropped (<see cref="DroppedSends"/>): fewer
    /// than <paramref name="count"/> only when the buffer stayed full until the timeout.
    /// </summary>
    /// <exception cref="LinuxError">sendmmsg() or poll() failed in a way that is not about one datagram.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed, before or during the call.</exception>
    public int Send(UdpBatch batch, int count, int timeoutMilliseconds = -1)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        SocketNative.MMsgHdr* messages = batch.Messages;
        using WakeableDescriptor.Lease lease = _socket.Enter(mayWait: true);
        long start = Stopwatch.GetTimestamp();
        int done = 0;
        while (done < count)
        {
            _socket.ThrowIfDisposed();
            int sent = SocketNative.sendmmsg(_socket.Fd, messages + done, (uint)(count - done), 0);
            if (sent > 0)
            {
                done += sent;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (sent == 0 || errno == LibC.EINTR)
            {
                continue;
            }
            if (errno == LibC.EAGAIN)
            {
                int remaining = PollTimeout.RemainingMilliseconds(start, timeoutMilliseconds);
                if (remaining == 0 || !_socket.WaitReady(LibC.POLLOUT, remaining))
                {
                    return done;
                }
                continue;
            }
            if (!IsDatagramError(errno))
            {
                throw new LinuxError("sendmmsg UDP " + LocalEndPoint.Port, errno);
            }
            // sendmmsg reports an error only for the first datagram it could not send: drop that one.
            Interlocked.Increment(ref _droppedSends);
            LastSendError = errno;
            done++;
        }
        return done;
    }

    public int BatchSize => ReceiveSlots;

    /// <summary>One recvmmsg straight into the batch's buffers, each at its slot's offset; a
    /// truncated GRO run cannot be split reliably, so its slot comes back empty.</summary>
    public int Receive(PacketBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch.Capacity, ReceiveSlots, nameof(batch));
        for (int i = 0; i < ReceiveSlots; i++)
        {
            byte[] buffer = batch.Buffers[i];
            int offset = batch.Offsets[i];
            _receiveSlots.SetReceiveBuffer(i, Address(buffer) + offset, buffer.Length - offset);
        }
        int received = Receive(_receiveSlots, timeoutMilliseconds);
        for (int i = 0; i < received; i++)
        {
            batch.Lengths[i] = _receiveSlots.IsTruncated(i) ? 0 : _receiveSlots.GetLength(i);
            batch.SegmentSizes[i] = _receiveSlots.GetSegmentSize(i);
            batch.Endpoints[i] = _receiveSlots.GetAddress(i);
        }
        batch.Count = received;
        return received;
    }

    /// <summary>sendmmsg for the batch, each slot pointing at its bytes, a run with UDP_SEGMENT.
    /// A full socket buffer is waited out for a second at most; what still does not fit is left
    /// (counted by the caller).</summary>
    public int Send(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_sendLock)
        {
            int done = 0;
            int failed = 0;
            while (done < batch.Count)
            {
                int count = Math.Min(batch.Count - done, SendSlots);
                for (int i = 0; i < count; i++)
                {
                    int slot = done + i;
                    _sendSlots.SetExternalDatagram(i, Address(batch.Buffers[slot]) + batch.Offsets[slot], batch.Lengths[slot],
                        batch.Endpoints[slot], batch.SegmentSizes[slot]);
                }
                int sent;
                try
                {
                    sent = Send(_sendSlots, count, SendTimeoutMilliseconds);
                }
                catch (LinuxError)
                {
                    // An error sendmmsg reports for the first datagram that is not one datagram's
                    // (say an address family the socket cannot reach): skip that one, so one bad
                    // destination never stops the data plane.
                    done++;
                    failed++;
                    continue;
                }
                done += sent;
                if (sent < count)
                {
                    break;
                }
            }
            return done - failed;
        }
    }

    /// <summary>Closes the socket (once no call is in flight) and wakes a blocked call.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        _receiveSlots.Dispose();
        _sendSlots.Dispose();
    }

    /// <summary>The address of a pinned array's first byte (every buffer of a PacketBatch is pinned).</summary>
    private static byte* Address(byte[] buffer) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));

    private static bool IsDatagramError(int errno) =>
        // EINVAL: a GSO send whose segments exceed the route's MTU (or the device cannot segment).
        errno == LibC.EINVAL || errno == LibC.EMSGSIZE || errno == LibC.ENETUNREACH || errno == LibC.EHOSTUNREACH ||
        errno == LibC.ECONNREFUSED || errno == LibC.EADDRNOTAVAIL || errno == LibC.EPERM || errno == LibC.EACCES ||
        errno == LibC.EIO || errno == LibC.ENOBUFS;

    private void SetOption(int level, int name, int value, string what)
    {
        if (!TrySetOption(level, name, value))
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new LinuxError($"{what} on UDP {LocalEndPoint.Port}", errno);
        }
    }

    /// <summary>setsockopt; false with the errno left for Marshal.GetLastPInvokeError when the kernel refused.</summary>
    private bool TrySetOption(int level, int name, int value)
    {
        using WakeableDescriptor.Lease lease = _socket.Enter(mayWait: false);
        return LibC.setsockopt(_socket.Fd, level, name, &value, sizeof(int)) == 0;
    }

    private int GetOption(int level, int name, string what)
    {
        using WakeableDescriptor.Lease lease = _socket.Enter(mayWait: false);
        int value = 0;
        socklen_t length = sizeof(int);
        if (LibC.getsockopt(_socket.Fd, level, name, &value, &length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new LinuxError($"{what} on UDP {LocalEndPoint.Port}", errno);
        }
        return value;
    }
}
