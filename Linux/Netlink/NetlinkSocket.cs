using System.Runtime.InteropServices;
using Tmds.Linux;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>
/// A raw netlink socket bound to a kernel-assigned port, in the network namespace of the thread
/// that opened it. Sends go to the kernel (port 0); received datagrams from any other sender are
/// dropped. Not thread-safe: <see cref="RouteNetlink"/> serialises its use, and
/// <see cref="Netfilter.NflogSocket"/> receives on one thread (polling first, then
/// <see cref="ReceiveNow"/>).
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private readonly FileDescriptorHandle _fd;

    private NetlinkSocket(FileDescriptorHandle fd)
    {
        _fd = fd;
    }

    public static NetlinkSocket Open(int protocol)
    {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw LinuxError.FromLastError("socket AF_NETLINK");
        }
        var handle = new FileDescriptorHandle(fd);
        try
        {
            // Best effort: extended acks carry the kernel's reason text; capped acks do not echo requests.
            int one = 1;
            _ = LibC.setsockopt(fd, LibC.SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(int));
            _ = LibC.setsockopt(fd, LibC.SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(int));
            byte* address = stackalloc byte[SockAddrNlSize];
            new Span<byte>(address, SockAddrNlSize).Clear();
            *(ushort*)address = (ushort)LibC.AF_NETLINK; // nl_family; nl_pid 0 lets the kernel pick the port; no groups
            if (LibC.bind(fd, (sockaddr*)address, SockAddrNlSize) != 0)
            {
                throw LinuxError.FromLastError("bind AF_NETLINK");
            }
            return new NetlinkSocket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request to the kernel.</summary>
    public void Send(ReadOnlySpan<byte> message, string what)
    {
        while (true)
        {
            nint sent;
            fixed (byte* p = message)
            {
                sent = (nint)LibC.send(Fd, p, message.Length, 0);
            }
            if (sent == message.Length)
            {
                return;
            }
            int errno = sent < 0 ? Marshal.GetLastPInvokeError() : LibC.EMSGSIZE;
            if (errno != LibC.EINTR)
            {
                throw new LinuxError("send netlink request to " + what, errno);
            }
        }
    }

    /// <summary>Receives one datagram from the kernel, growing <paramref name="buffer"/> first if the
    /// datagram would not fit (found with MSG_PEEK | MSG_TRUNC). Returns its length.</summary>
    public int Receive(ref byte[] buffer, string what)
    {
        while (true)
        {
            int length = ReceiveFrom(buffer, LibC.MSG_PEEK | LibC.MSG_TRUNC, out _, what);
            if (length > buffer.Length)
            {
                buffer = new byte[NetlinkMessage.Align(length)];
            }
            length = ReceiveFrom(buffer, 0, out uint senderPort, what);
            if (senderPort == 0)
            {
                return length;
            }
            // Not from the kernel: another process wrote to our port. Drop it.
        }
    }

    /// <summary>
    /// Like <see cref="Receive"/>, but never waits (MSG_DONTWAIT), for a caller that polls the
    /// <see cref="Descriptor"/> first. Returns the datagram's length; 0 when there was none (or it
    /// was not from the kernel, and was dropped); -1 when the kernel reports ENOBUFS: it dropped
    /// messages for us because our receive buffer was full (the error is cleared by reporting it).
    /// </summary>
    public int ReceiveNow(ref byte[] buffer, string what)
    {
        int length = TryReceiveFrom(buffer, LibC.MSG_PEEK | LibC.MSG_TRUNC | LibC.MSG_DONTWAIT, out _);
        if (length > buffer.Length)
        {
            buffer = new byte[NetlinkMessage.Align(length)];
        }
        if (length >= 0)
        {
            length = TryReceiveFrom(buffer, LibC.MSG_DONTWAIT, out uint senderPort);
            if (length >= 0)
            {
                return senderPort == 0 ? length : 0;
            }
        }
        int errno = -length;
        if (errno == LibC.EAGAIN)
        {
            return 0;
        }
        return errno == LibC.ENOBUFS ? -1 : throw new LinuxError("receive netlink message for " + what, errno);
    }

    /// <summary>The socket's descriptor, for poll.</summary>
    public FileDescriptorHandle Descriptor => _fd;

    public static LinuxError Malformed(string what) => new(what + ": malformed netlink reply", LibC.EBADMSG);

    /// <summary>
    /// Sends a request made with NLM_F_ACK and returns the errno of the NLMSG_ERROR that answers it
    /// (0 for an ack), with the kernel's extended-ack text in <paramref name="detail"/>. Other
    /// messages (other sequence numbers, multicast or log messages) are skipped.
    /// </summary>
    /// <exception cref="LinuxError">A send or receive failed, or the reply was malformed (EBADMSG).</exception>
    public int Exchange(ReadOnlySpan<byte> request, uint sequence, ref byte[] buffer, string what, out string? detail)
    {
        Send(request, what);
        while (true)
        {
            ReadOnlySpan<byte> datagram = buffer.AsSpan(0, Receive(ref buffer, what));
            while (!datagram.IsEmpty)
            {
                if (!NetlinkParser.TryReadMessage(ref datagram, out NetlinkHeader header, out ReadOnlySpan<byte> payload))
                {
                    throw Malformed(what);
                }
                if (header.Sequence != sequence || header.Type != NLMSG_ERROR)
                {
                    continue;
                }
                return NetlinkParser.TryParseError(payload, header.Flags, out int errno, out detail) ? errno : throw Malformed(what);
            }
        }
    }

    public void Dispose() => _fd.Dispose();

    private int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
            return _fd.Fd;
        }
    }

    private int ReceiveFrom(byte[] buffer, int flags, out uint senderPort, string what)
    {
        int received = TryReceiveFrom(buffer, flags, out senderPort);
        return received >= 0 ? received : throw new LinuxError("receive netlink reply to " + what, -received);
    }

    /// <summary>recvfrom, retried on EINTR: the length received, or minus the errno.</summary>
    private int TryReceiveFrom(byte[] buffer, int flags, out uint senderPort)
    {
        byte* address = stackalloc byte[SockAddrNlSize];
        while (true)
        {
            new Span<byte>(address, SockAddrNlSize).Clear();
            socklen_t addressLength = SockAddrNlSize;
            nint received;
            fixed (byte* p = buffer)
            {
                received = (nint)LibC.recvfrom(Fd, p, buffer.Length, flags, (sockaddr*)address, &addressLength);
            }
            senderPort = *(uint*)(address + 4);
            if (received >= 0)
            {
                return (int)received;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }
}
