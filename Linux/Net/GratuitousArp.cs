using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// A gratuitous ARP (RFC 5227 "ARP announcement"): an ARP request for our own address, broadcast,
/// so neighbours that cached another MAC for a reused address (a pod's address freed and handed to
/// a new pod) update at once instead of sending to the old MAC until their entry expires. Sent on
/// an AF_PACKET datagram socket, so the kernel adds the Ethernet header.
/// <code>
/// | htype 1 (u16) | ptype 0x0800 (u16) | hlen 6 | plen 4 | oper 1 (u16) |
/// | sender MAC (6) | sender IP (4) | target MAC 00..00 (6) | target IP = sender IP (4) |   28 bytes, big-endian
/// </code>
/// </summary>
public static class GratuitousArp
{
    public const int PacketBytes = 28;
    public const ushort EthPArp = 0x0806;

    private const int SockAddrLlSize = 20;

    /// <summary>Writes the ARP announcement of <paramref name="address"/> at <paramref name="mac"/>.</summary>
    public static void Encode(Span<byte> packet, ReadOnlySpan<byte> mac, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (packet.Length < PacketBytes)
        {
            throw new ArgumentException($"An ARP packet needs {PacketBytes} bytes.", nameof(packet));
        }
        if (mac.Length != 6)
        {
            throw new ArgumentException($"An Ethernet address has 6 bytes, not {mac.Length}.", nameof(mac));
        }
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"ARP announces IPv4 addresses, not {address}.", nameof(address));
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet, 1);          // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], 0x0800); // protocol: IPv4
        packet[4] = 6;
        packet[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], 1);      // request
        mac.CopyTo(packet[8..]);
        _ = address.TryWriteBytes(packet[14..18], out _);
        packet[18..24].Clear();
        _ = address.TryWriteBytes(packet[24..28], out _);
    }

    /// <summary>Broadcasts the announcement out of link <paramref name="index"/> in the calling
    /// thread's network namespace. The link must be up.</summary>
    /// <exception cref="LinuxError">When the packet socket cannot be opened or the send fails.</exception>
    public static unsafe void Send(int index, ReadOnlySpan<byte> mac, IPAddress address)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        Span<byte> packet = stackalloc byte[PacketBytes];
        Encode(packet, mac, address);

        Span<byte> destination = stackalloc byte[SockAddrLlSize];
        destination.Clear();
        MemoryMarshal.Write(destination, (ushort)LibC.AF_PACKET);                                 // sll_family
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], EthPArp);                          // sll_protocol
        MemoryMarshal.Write(destination[4..], index);                                              // sll_ifindex
        destination[11] = 6;                                                                       // sll_halen
        destination[12..18].Fill(0xff);                                                            // sll_addr: broadcast

        int fd = LibC.socket(LibC.AF_PACKET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, BinaryPrimitives.ReverseEndianness(EthPArp));
        if (fd < 0)
        {
            throw LinuxError.FromLastError("socket AF_PACKET for a gratuitous ARP");
        }
        using var handle = new FileDescriptorHandle(fd);
        nint sent;
        fixed (byte* p = packet)
        fixed (byte* d = destination)
        {
            sent = (nint)LibC.sendto(fd, p, PacketBytes, 0, (sockaddr*)d, SockAddrLlSize);
        }
        if (sent != PacketBytes)
        {
            throw LinuxError.FromLastError($"send gratuitous ARP for {address} on ifindex {index}");
        }
    }
}
