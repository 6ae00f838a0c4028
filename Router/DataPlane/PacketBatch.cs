using System.Net;
using System.Net.Sockets;

namespace Weave.Router.DataPlane;

/// <summary>
/// A batch of packets for the batch-shaped I/O seams (<see cref="ITapDevice"/>,
/// <see cref="IDatagramTransport"/>), so implementations can use recvmmsg/sendmmsg, GSO and
/// multi-frame reads without an API change. Each slot is a buffer, an offset and a length, plus a
/// socket address for datagrams. Buffers are allocated once, with <see cref="Headroom"/> bytes in
/// front so encapsulation headers are written in place; slots of a send batch may share one
/// buffer (a flooded frame goes to several peers without a copy). Owned by one thread.
/// </summary>
public sealed class PacketBatch
{
    /// <summary>Room in front of a frame for the headers we add (VXLAN now; sleeve and crypto later).</summary>
    public const int Headroom = 64;

    /// <summary>Room for one frame or datagram: a jumbo Ethernet frame plus headroom.</summary>
    public const int BufferSizeBytes = 65536 + Headroom;

    public PacketBatch(int capacity, bool allocateBuffers, AddressFamily family = AddressFamily.InterNetwork)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Buffers = new byte[capacity][];
        Offsets = new int[capacity];
        Lengths = new int[capacity];
        Addresses = new SocketAddress[capacity];
        for (int i = 0; i < capacity; i++)
        {
            Buffers[i] = allocateBuffers ? GC.AllocateUninitializedArray<byte>(BufferSizeBytes, pinned: true) : [];
            Addresses[i] = new SocketAddress(family);
        }
    }

    public int Capacity => Buffers.Length;

    /// <summary>How many slots hold a packet.</summary>
    public int Count { get; set; }

    public byte[][] Buffers { get; }
    public int[] Offsets { get; }
    public int[] Lengths { get; }

    /// <summary>Source (received, preallocated and overwritten) or destination (to send; a slot may
    /// point at a peer's own address object) of each datagram.</summary>
    public SocketAddress[] Addresses { get; }

    public Span<byte> Packet(int slot) => Buffers[slot].AsSpan(Offsets[slot], Lengths[slot]);

    /// <summary>Points <paramref name="slot"/> at bytes of a buffer (no copy).</summary>
    public void Set(int slot, byte[] buffer, int offset, int length)
    {
        Buffers[slot] = buffer;
        Offsets[slot] = offset;
        Lengths[slot] = length;
    }
}
