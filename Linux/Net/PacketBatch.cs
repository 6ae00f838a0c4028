namespace Weave.Linux;

/// <summary>
/// A batch of packets for the batch-shaped I/O seams (<see cref="ITapDevice"/>,
/// <see cref="IDatagramTransport"/>). Each slot is a buffer, an offset and a length, plus what the
/// offloads need: a UDP endpoint and a GSO/GRO segment size for datagrams, a virtio-net header for
/// frames. Buffers are allocated once, pinned (the Linux devices hand their addresses to the
/// kernel), with <see cref="Headroom"/> bytes in front so encapsulation headers are written in
/// place; slots of a send batch may share one buffer (a flooded frame goes to several peers
/// without a copy). Owned by one thread.
/// </summary>
public sealed class PacketBatch
{
    /// <summary>Room in front of a frame for the headers we add (VXLAN now; sleeve and crypto later)
    /// and for the virtio-net header a TAP puts in front of what it reads.</summary>
    public const int Headroom = 64;

    /// <summary>Room for one TAP super-frame (virtio header, Ethernet, VLAN, IPv6, 64 KB of TCP),
    /// or one GRO run of datagrams, plus headroom.</summary>
    public const int BufferSizeBytes = Headroom + TapDevice.SuperFrameBufferBytes + 189; // 65,856: a multiple of 64

    public PacketBatch(int capacity, bool allocateBuffers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Buffers = new byte[capacity][];
        Offsets = new int[capacity];
        Lengths = new int[capacity];
        Endpoints = new UdpEndpoint[capacity];
        SegmentSizes = new int[capacity];
        Offloads = new VirtioNetHeader[capacity];
        for (int i = 0; i < capacity; i++)
        {
            Buffers[i] = allocateBuffers ? AllocateBuffer() : [];
        }
    }

    public int Capacity => Buffers.Length;

    /// <summary>How many slots hold a packet.</summary>
    public int Count { get; set; }

    public byte[][] Buffers { get; }
    public int[] Offsets { get; }
    public int[] Lengths { get; }

    /// <summary>Source (received) or destination (to send) of each datagram.</summary>
    public UdpEndpoint[] Endpoints { get; }

    /// <summary>
    /// Datagrams only. To send: above 0, the slot holds datagrams of this size back to back (the
    /// last may be shorter), sent with UDP GSO. Received: above 0, the slot holds a GRO run of
    /// datagrams of this size (the last may be shorter). 0: the slot is one datagram.
    /// </summary>
    public int[] SegmentSizes { get; }

    /// <summary>Frames only: the virtio-net header of each frame read from or written to the TAP
    /// (the default value: a complete frame with its checksums, no segmentation).</summary>
    public VirtioNetHeader[] Offloads { get; }

    /// <summary>A pinned buffer of <see cref="BufferSizeBytes"/>, as every buffer given to a device must be.</summary>
    public static byte[] AllocateBuffer() => GC.AllocateUninitializedArray<byte>(BufferSizeBytes, pinned: true);

    /// <summary><paramref name="count"/> buffers of <see cref="AllocateBuffer"/>'s kind.</summary>
    public static byte[][] AllocateBuffers(int count)
    {
        var buffers = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = AllocateBuffer();
        }
        return buffers;
    }

    public Span<byte> Packet(int slot) => Buffers[slot].AsSpan(Offsets[slot], Lengths[slot]);

    /// <summary>Points <paramref name="slot"/> at bytes of a buffer (no copy); clears its segment size and offloads.</summary>
    public void Set(int slot, byte[] buffer, int offset, int length)
    {
        Buffers[slot] = buffer;
        Offsets[slot] = offset;
        Lengths[slot] = length;
        SegmentSizes[slot] = 0;
        Offloads[slot] = default;
    }
}
