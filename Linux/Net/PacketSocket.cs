using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// An AF_PACKET raw socket bound to one interface and one EtherType: whole Ethernet frames in and
/// out, below IP. The kernel fast path's probes use two: one on the VXLAN device sends a probe
/// straight into the device (so it leaves as the kernel's own VXLAN), one on the bridge receives the
/// probes peers' kernels deliver to the bridge's own MAC. Opened inside the namespace that holds the
/// interface; non-blocking, with <see cref="Receive"/> waiting by poll().
/// </summary>
public sealed unsafe class PacketSocket : IFramePort, IDisposable
{
    private const int SockAddrLlSize = 20;
    private readonly int _fd;
    private readonly int _ifindex;
    private readonly ushort _etherType;
    private int _disposed;

    private PacketSocket(int fd, int ifindex, ushort etherType)
    {
        _fd = fd;
        _ifindex = ifindex;
        _etherType = etherType;
    }

    /// <exception cref="LinuxError">No AF_PACKET here (no CAP_NET_RAW), or no such interface.</exception>
    public static PacketSocket Open(int ifindex, ushort etherType)
    {
        int fd = LibC.socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK,
            BinaryPrimitives.ReverseEndianness(etherType));
        if (fd < 0)
        {
            throw LinuxError.FromLastError("socket AF_PACKET");
        }
        var socket = new PacketSocket(fd, ifindex, etherType);
        byte* address = stackalloc byte[SockAddrLlSize];
        socket.FillAddress(address);
        if (LibC.bind(fd, (sockaddr*)address, SockAddrLlSize) != 0)
        {
            var error = LinuxError.FromLastError($"bind AF_PACKET to interface {ifindex}");
            socket.Dispose();
            throw error;
        }
        return socket;
    }

    public int InterfaceIndex => _ifindex;

    /// <summary>Sends one whole frame (destination MAC first) out of the interface.</summary>
    /// <exception cref="LinuxError">The kernel refused it (the interface is down or gone, a full queue).</exception>
    public void Send(ReadOnlySpan<byte> frame)
    {
        byte* address = stackalloc byte[SockAddrLlSize];
        FillAddress(address);
        fixed (byte* p = frame)
        {
            if ((long)LibC.sendto(_fd, p, frame.Length, 0, (sockaddr*)address, SockAddrLlSize) != frame.Length)
            {
                throw LinuxError.FromLastError($"sendto AF_PACKET on interface {_ifindex}");
            }
        }
    }

    /// <summary>The next frame into <paramref name="buffer"/> (cut to its length), waiting up to
    /// <paramref name="timeoutMilliseconds"/>; 0 when none came in time.</summary>
    /// <exception cref="LinuxError">The socket failed (its interface went away).</exception>
    public int Receive(Span<byte> buffer, int timeoutMilliseconds)
    {
        fixed (byte* p = buffer)
        {
            long n = (long)LibC.recv(_fd, p, buffer.Length, LibC.MSG_TRUNC);
            if (n < 0 && Marshal.GetLastPInvokeError() == LibC.EAGAIN && timeoutMilliseconds > 0)
            {
                var fds = new LibCShims.PollFd { Fd = _fd, Events = LibC.POLLIN };
                if (LibCShims.poll(&fds, 1, timeoutMilliseconds) <= 0)
                {
                    return 0;
                }
                n = (long)LibC.recv(_fd, p, buffer.Length, LibC.MSG_TRUNC);
            }
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == LibC.EAGAIN || errno == LibC.EINTR ? 0 : throw new LinuxError($"recv AF_PACKET on interface {_ifindex}", errno);
            }
            return (int)Math.Min(n, buffer.Length);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = LibC.close(_fd);
        }
    }

    private void FillAddress(byte* address)
    {
        new Span<byte>(address, SockAddrLlSize).Clear();
        *(ushort*)address = (ushort)LibC.AF_PACKET;                                   // sll_family
        *(ushort*)(address + 2) = BinaryPrimitives.ReverseEndianness(_etherType);     // sll_protocol
        *(int*)(address + 4) = _ifindex;                                              // sll_ifindex
    }
}
