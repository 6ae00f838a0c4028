using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Net.Sockets;

namespace Weave.Linux;

/// <summary>
/// A reusable batch of datagram slots for <see cref="UdpBatchSocket"/>: per slot a native buffer of
/// <see cref="Headroom"/> + <see cref="BufferSize"/> bytes, an iovec, an mmsghdr, control-message
/// space and a socket address, all in one native block allocated once. Receiving fills the slots
/// (length, source, GRO segment size); for sending, <see cref="SetDatagram"/> fills them. Nothing is
/// allocated per call.
/// </summary>
/// <remarks>
/// Native block layout: mmsghdr[Count] | iovec[Count] | sockaddr (32 bytes)[Count] |
/// control (64 bytes)[Count] | buffers, each Headroom + BufferSize rounded up to 64 bytes.
/// The datagram of a slot lies at <see cref="Headroom"/> in its buffer, so a header can be put in
/// front of it in place. A batch belongs to one thread at a time (the loop that sends or receives
/// with it); dispose it only after that loop has stopped.
/// </remarks>
public sealed unsafe class UdpBatch : IDisposable
{
    /// <summary>The largest UDP payload over IPv4 (65,535 - 20 - 8): a cap on any datagram or GSO send.</summary>
    public const int MaxIPv4Payload = 65_507;

    /// <summary>The largest UDP payload over IPv6 (65,535 - 8), without jumbograms.</summary>
    public const int MaxIPv6Payload = 65_527;

    /// <summary>UDP_MAX_SEGMENTS: the most segments one GSO send may be cut into.</summary>
    public const int MaxGsoSegments = 64;

    /// <summary>Big enough for any datagram, and for any GRO batch the kernel delivers.</summary>
    public const int DefaultBufferSize = 65_536;

    private const int AddressBytes = 32;
    private const int ControlBytes = 64;
    private const int Alignment = 64;

    private readonly int _stride;
    private readonly int[] _lengths;
    private readonly int[] _capacities;
    private readonly int[] _segmentSizes;
    private readonly bool[] _truncated;
    private byte* _block;
    private SocketNative.MMsgHdr* _messages;
    private SocketNative.IoVec* _iovecs;
    private byte* _addresses;
    private byte* _controls;
    private byte* _buffers;

    /// <param name="count">The number of slots (the most datagrams one call moves), 1 to 1024.</param>
    /// <param name="bufferSize">The bytes of datagram each slot holds (truncated beyond).</param>
    /// <param name="headroom">Bytes reserved before each datagram.</param>
    public UdpBatch(int count, int bufferSize = DefaultBufferSize, int headroom = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bufferSize, 1 << 20);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headroom, 4096);
        Count = count;
        BufferSize = bufferSize;
        Headroom = headroom;
        _stride = (headroom + bufferSize + Alignment - 1) & ~(Alignment - 1);
        _lengths = new int[count];
        _capacities = new int[count];
        Array.Fill(_capacities, bufferSize);
        _segmentSizes = new int[count];
        _truncated = new bool[count];

        int messages = Align(count * sizeof(SocketNative.MMsgHdr));
        int iovecs = Align(count * sizeof(SocketNative.IoVec));
        int addresses = count * AddressBytes;
        int controls = count * ControlBytes;
        nuint total = (nuint)messages + (nuint)iovecs + (nuint)addresses + (nuint)controls + ((nuint)_stride * (nuint)count);
        _block = (byte*)NativeMemory.AlignedAlloc(total, Alignment);
        NativeMemory.Clear(_block, total);
        _messages = (SocketNative.MMsgHdr*)_block;
        _iovecs = (SocketNative.IoVec*)(_block + messages);
        _addresses = _block + messages + iovecs;
        _controls = _addresses + addresses;
        _buffers = _controls + controls;
        for (int i = 0; i < count; i++)
        {
            _iovecs[i].Base = _buffers + ((nint)i * _stride) + headroom;
            _messages[i].Header.Iov = &_iovecs[i];
            _messages[i].Header.IovLength = 1;
        }
    }

    /// <summary>The number of slots.</summary>
    public int Count { get; }

    /// <summary>The datagram bytes per slot.</summary>
    public int BufferSize { get; }

    /// <summary>The bytes reserved before each slot's datagram.</summary>
    public int Headroom { get; }

    internal SocketNative.MMsgHdr* Messages
    {
        get
        {
            ObjectDisposedException.ThrowIf(_block == null, this);
            return _messages;
        }
    }

    /// <summary>The whole datagram area of a slot (<see cref="BufferSize"/> bytes): write a datagram here before <see cref="SetDatagram"/>.</summary>
    public Span<byte> GetBuffer(int slot) => new(SlotBuffer(slot) + Headroom, BufferSize);

    /// <summary>The headroom and datagram area of a slot (<see cref="Headroom"/> + <see cref="BufferSize"/> bytes).</summary>
    public Span<byte> GetBufferWithHeadroom(int slot) => new(SlotBuffer(slot), Headroom + BufferSize);

    /// <summary>The received (or set) datagram of a slot: the first <see cref="GetLength"/> bytes of its buffer.</summary>
    public Span<byte> GetDatagram(int slot)
    {
        _ = SlotBuffer(slot);
        return new(_iovecs[slot].Base, _lengths[slot]);
    }

    /// <summary>The datagram length of a slot: after a receive, the bytes received (with GRO, the
    /// whole coalesced run of segments).</summary>
    public int GetLength(int slot) => _lengths[slot];

    /// <summary>After a receive on a socket with GRO: the size of each coalesced segment (the last
    /// may be shorter), or 0 when the slot holds one plain datagram.</summary>
    public int GetSegmentSize(int slot) => _segmentSizes[slot];

    /// <summary>After a receive: the datagram was longer than <see cref="BufferSize"/> and was cut (MSG_TRUNC).</summary>
    public bool IsTruncated(int slot) => _truncated[slot];

    /// <summary>After a receive: the sender's address.</summary>
    public UdpEndpoint GetAddress(int slot)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Count, nameof(slot));
        return UdpEndpoint.ReadSockAddr(_addresses + ((nint)slot * AddressBytes), (int)_messages[slot].Header.NameLength);
    }

    /// <summary>
    /// Prepares slot <paramref name="slot"/> to send the first <paramref name="length"/> bytes of its
    /// buffer to <paramref name="destination"/> (the default value: the connected peer). With a
    /// <paramref name="segmentSize"/> above 0 the kernel cuts the datagram into datagrams of that
    /// size, the last one shorter (UDP GSO, a UDP_SEGMENT control message); at most
    /// <see cref="MaxGsoSegments"/> of them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A length above the buffer or the UDP maximum
    /// for the family, or a segment size that gives more than <see cref="MaxGsoSegments"/> segments.</exception>
    public void SetDatagram(int slot, int length, in UdpEndpoint destination, int segmentSize = 0)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Count, nameof(slot));
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Math.Min(BufferSize,
            destination.Family == AddressFamily.InterNetwork ? MaxIPv4Payload : MaxIPv6Payload));
        CheckSegments(length, segmentSize);
        _iovecs[slot].Base = SlotBuffer(slot) + Headroom;
        _capacities[slot] = BufferSize;
        SetMessage(slot, length, destination, segmentSize);
    }

    /// <summary>
    /// Like <see cref="SetDatagram"/>, but the slot sends <paramref name="length"/> bytes at
    /// <paramref name="data"/>: caller memory (a pinned array, native memory) that must stay put and
    /// unchanged until the send returns. No copy. The slot keeps pointing there (also for receives)
    /// until <see cref="SetDatagram"/> or <see cref="SetReceiveBuffer"/> moves it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As for <see cref="SetDatagram"/> (the length is
    /// checked against the UDP maximum only).</exception>
    public void SetExternalDatagram(int slot, byte* data, int length, in UdpEndpoint destination, int segmentSize = 0)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Count, nameof(slot));
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length,
            destination.Family == AddressFamily.InterNetwork ? MaxIPv4Payload : MaxIPv6Payload);
        CheckSegments(length, segmentSize);
        _iovecs[slot].Base = data;
        _capacities[slot] = length;
        SetMessage(slot, length, destination, segmentSize);
    }

    /// <summary>
    /// Makes the next receives put slot <paramref name="slot"/>'s datagram at <paramref name="buffer"/>
    /// (caller memory of <paramref name="capacity"/> bytes that must stay put while the batch uses
    /// it) instead of the slot's own buffer: a receive straight into the caller's buffers.
    /// </summary>
    public void SetReceiveBuffer(int slot, byte* buffer, int capacity)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Count, nameof(slot));
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _iovecs[slot].Base = buffer;
        _capacities[slot] = capacity;
    }

    private static void CheckSegments(int length, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segmentSize);
        if (segmentSize > 0 && (length + segmentSize - 1) / segmentSize > MaxGsoSegments)
        {
            throw new ArgumentOutOfRangeException(nameof(segmentSize), segmentSize,
                $"{length} bytes in segments of {segmentSize} exceed {MaxGsoSegments} segments.");
        }
    }

    private void SetMessage(int slot, int length, in UdpEndpoint destination, int segmentSize)
    {
        ref SocketNative.MsgHdr header = ref _messages[slot].Header;
        byte* address = _addresses + ((nint)slot * AddressBytes);
        int addressLength = destination.WriteSockAddr(address);
        header.Name = addressLength == 0 ? null : address;
        header.NameLength = (uint)addressLength;
        _iovecs[slot].Length = (nuint)length;
        header.Flags = 0;
        if (segmentSize > 0)
        {
            byte* control = _controls + ((nint)slot * ControlBytes);
            var cmsg = (SocketNative.CMsgHdr*)control;
            cmsg->Length = (nuint)SocketNative.CMsgLength(sizeof(ushort));
            cmsg->Level = SocketNative.SOL_UDP;
            cmsg->Type = SocketNative.UDP_SEGMENT;
            *(ushort*)(control + SocketNative.CMsgHeaderSize) = (ushort)segmentSize;
            header.Control = control;
            header.ControlLength = (nuint)SocketNative.CMsgSpace(sizeof(ushort));
        }
        else
        {
            header.Control = null;
            header.ControlLength = 0;
        }
        _lengths[slot] = length;
        _segmentSizes[slot] = segmentSize;
        _truncated[slot] = false;
    }

    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.AlignedFree(_block);
            _block = null;
            _messages = null;
            _iovecs = null;
            _addresses = null;
            _controls = null;
            _buffers = null;
        }
    }

    /// <summary>Points every slot at its whole buffer, address and control space for recvmmsg.</summary>
    internal void PrepareReceive()
    {
        for (int i = 0; i < Count; i++)
        {
            ref SocketNative.MsgHdr header = ref _messages[i].Header;
            header.Name = _addresses + ((nint)i * AddressBytes);
            header.NameLength = AddressBytes;
            header.Control = _controls + ((nint)i * ControlBytes);
            header.ControlLength = ControlBytes;
            header.Flags = 0;
            _iovecs[i].Length = (nuint)_capacities[i];
            _messages[i].Length = 0;
        }
    }

    /// <summary>Records what recvmmsg put in the first <paramref name="received"/> slots.</summary>
    internal void CompleteReceive(int received)
    {
        Debug.Assert(received <= Count);
        for (int i = 0; i < received; i++)
        {
            ref SocketNative.MMsgHdr message = ref _messages[i];
            _lengths[i] = (int)Math.Min(message.Length, (uint)_capacities[i]);
            _truncated[i] = (message.Header.Flags & MsgTrunc) != 0;
            _segmentSizes[i] = ReadGroSegmentSize(ref message.Header);
        }
    }

    private const int MsgTrunc = 0x20;

    private static int ReadGroSegmentSize(ref SocketNative.MsgHdr header)
    {
        byte* control = (byte*)header.Control;
        int length = (int)header.ControlLength;
        int offset = 0;
        while (offset + SocketNative.CMsgHeaderSize <= length)
        {
            var cmsg = (SocketNative.CMsgHdr*)(control + offset);
            int cmsgLength = (int)cmsg->Length;
            if (cmsgLength < SocketNative.CMsgHeaderSize || offset + cmsgLength > length)
            {
                break;
            }
            if (cmsg->Level == SocketNative.SOL_UDP && cmsg->Type == SocketNative.UDP_GRO &&
                cmsgLength >= SocketNative.CMsgLength(sizeof(int)))
            {
                return *(int*)(control + offset + SocketNative.CMsgHeaderSize);
            }
            offset += (cmsgLength + SocketNative.CMsgAlignment - 1) & ~(SocketNative.CMsgAlignment - 1);
        }
        return 0;
    }

    private byte* SlotBuffer(int slot)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Count, nameof(slot));
        return _buffers + ((nint)slot * _stride);
    }

    private static int Align(int size) => (size + Alignment - 1) & ~(Alignment - 1);
}
