using System.Buffers.Binary;
using Tmds.Linux;
using Weave.Linux;

namespace Weave.Tests.Linux;

/// <summary>An AF_PACKET socket bound to one interface and EtherType: the test's view of the wire.
/// Open it inside the namespace that holds the interface.</summary>
internal sealed unsafe class PacketSocket : IDisposable
{
    private const int SockAddrLlSize = 20;
    private readonly int _fd;
    private readonly int _ifindex;
    private readonly ushort _etherType;

    private PacketSocket(int fd, int ifindex, ushort etherType)
    {
        _fd = fd;
        _ifindex = ifindex;
        _etherType = etherType;
    }

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
            var error = LinuxError.FromLastError("bind AF_PACKET");
            socket.Dispose();
            throw error;
        }
        return socket;
    }

    public void Send(byte[] frame)
    {
        byte* address = stackalloc byte[SockAddrLlSize];
        FillAddress(address);
        fixed (byte* p = frame)
        {
            if ((long)LibC.sendto(_fd, p, frame.Length, 0, (sockaddr*)address, SockAddrLlSize) != frame.Length)
            {
                throw LinuxError.FromLastError("sendto AF_PACKET");
            }
        }
    }

    /// <summary>The next frame, or an empty array when none came in time.</summary>
    public byte[] Receive(TimeSpan timeout)
    {
        byte[] buffer = new byte[2048];
        var fds = new LibCShims.PollFd { Fd = _fd, Events = LibC.POLLIN };
        if (LibCShims.poll(&fds, 1, (int)timeout.TotalMilliseconds) <= 0)
        {
            return [];
        }
        fixed (byte* p = buffer)
        {
            long n = (long)LibC.recv(_fd, p, buffer.Length, 0);
            return n < 0 ? throw LinuxError.FromLastError("recv AF_PACKET") : buffer[..(int)n];
        }
    }

    public void Dispose() => _ = LibC.close(_fd);

    private void FillAddress(byte* address)
    {
        new Span<byte>(address, SockAddrLlSize).Clear();
        *(ushort*)address = (ushort)LibC.AF_PACKET;                                   // sll_family
        *(ushort*)(address + 2) = BinaryPrimitives.ReverseEndianness(_etherType);     // sll_protocol
        *(int*)(address + 4) = _ifindex;                                              // sll_ifindex
    }
}
