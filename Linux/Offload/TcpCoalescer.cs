using System.Buffers.Binary;
using System.Diagnostics;

namespace Weave.Linux;

/// <summary>
/// Receive-side coalescing (what the kernel's tcp_gro_receive does) for frames going to a TAP with
/// offloads: consecutive TCP/IPv4 segments of one flow become one super-frame, written with a
/// virtio-net header (GSO_TCPV4, gso_size = the first segment's payload, a partial checksum), so
/// the bridge and the pod's stack handle one packet where there were up to 45.
/// </summary>
/// <remarks>
/// A segment joins the open run when it has the same Ethernet header, the same IPv4 header apart
/// from length, identification and checksum (no options, not a fragment), the same ports,
/// acknowledgement, window and TCP options, flags ACK or ACK|PSH, the next sequence number, a
/// payload no larger than the first's, and the run stays within 64 KB of IP packet. A shorter
/// segment or PSH ends the run. Every candidate's IPv4 header and TCP checksums are verified first
/// (the super-frame's checksum is left partial, so nobody would check them later); a segment that
/// fails is passed on alone, for the receiver to drop. Anything else (not TCP/IPv4, SYN/FIN/RST/URG/
/// ECN flags, VLAN tags) passes through untouched, in order. Frames are emitted in arrival order.
/// The first segment of a run stays in its datagram until a second joins; then it is copied into
/// one of a fixed set of pinned buffers and the payloads appended. Owned by one thread; nothing is
/// allocated per frame.
/// </remarks>
internal sealed class TcpCoalescer
{
    private const int EthernetHeaderBytes = 14;
    private const int TcpOffset = EthernetHeaderBytes + 20;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const byte ProtocolTcp = 6;
    private const byte TcpAck = 0x10;
    private const byte TcpPsh = 0x08;
    private const int MaxIPv4Length = 65_535;

    private readonly byte[][] _buffers;
    private int _used; // buffers [0, _used) hold emitted super-frames or the open one

    // The open run: its first segment still in its datagram, or a super-frame in one of our buffers.
    private byte[]? _openBuffer;
    private int _openOffset;
    private int _openLength;
    private bool _openIsSuper;
    private int _headerLength;
    private int _gsoSize;
    private uint _nextSequence;
    private bool _closed;

    public TcpCoalescer(int bufferCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferCount);
        _buffers = new byte[bufferCount][];
        for (int i = 0; i < bufferCount; i++)
        {
            _buffers[i] = PacketBatch.AllocateBuffer();
        }
    }

    /// <summary>Whether a merge can start a new super-frame; when false, flush, write and <see cref="Recycle"/>.</summary>
    public bool HasFreeBuffer => _used < _buffers.Length;

    /// <summary>
    /// Offers the next frame (at <paramref name="offset"/> of <paramref name="buffer"/>, which must
    /// stay unchanged until the frames are written). Emits up to two frames into
    /// <paramref name="output"/> (the caller leaves room for two). Returns true when the frame was
    /// merged into the open run (it will not be emitted on its own).
    /// </summary>
    public bool Add(PacketBatch output, byte[] buffer, int offset, int length)
    {
        ReadOnlySpan<byte> frame = buffer.AsSpan(offset, length);
        if (!TryReadSegment(frame, out int payload, out uint sequence, out byte flags, out int headerLength))
        {
            Flush(output);
            Emit(output, buffer, offset, length, default);
            return false;
        }
        if (_openBuffer is not null && CanMerge(frame, payload, sequence, headerLength))
        {
            Merge(frame, payload, flags, headerLength);
            return true;
        }
        Flush(output);
        if ((flags & TcpPsh) != 0)
        {
            Emit(output, buffer, offset, length, default); // nothing may follow it
            return false;
        }
        _openBuffer = buffer;
        _openOffset = offset;
        _openLength = length;
        _openIsSuper = false;
        _headerLength = headerLength;
        _gsoSize = payload;
        _nextSequence = sequence + (uint)payload;
        _closed = false;
        return false;
    }

    /// <summary>Emits the open run, if any: as it came when alone, else as a super-frame.</summary>
    public void Flush(PacketBatch output)
    {
        byte[]? buffer = _openBuffer;
        if (buffer is null)
        {
            return;
        }
        _openBuffer = null;
        if (!_openIsSuper)
        {
            Emit(output, buffer, _openOffset, _openLength, default);
            return;
        }
        Span<byte> frame = buffer.AsSpan(_openOffset, _openLength);
        Span<byte> ip = frame[EthernetHeaderBytes..];
        int ipLength = _openLength - EthernetHeaderBytes;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ipLength);
        InternetChecksum.WriteIPv4HeaderChecksum(ip);
        // A partial checksum: the pseudo-header sum, for the receiver's stack (or its GSO) to finish.
        uint pseudo = InternetChecksum.PseudoHeaderV4(ip.Slice(12, 4), ip.Slice(16, 4), ProtocolTcp, ipLength - 20);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(TcpOffset + 16)..], (ushort)pseudo);
        var offload = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4,
            (ushort)_headerLength, (ushort)_gsoSize, TcpOffset, 16);
        Emit(output, buffer, _openOffset, _openLength, offload);
    }

    /// <summary>After the emitted frames were written (and <see cref="Flush"/> was called): every buffer is free again.</summary>
    public void Recycle()
    {
        Debug.Assert(_openBuffer is null, "Flush before recycling");
        _used = 0;
    }

    /// <summary>A merge candidate: option-less IPv4, TCP with ACK or ACK|PSH, a payload, valid checksums.</summary>
    internal static bool TryReadSegment(ReadOnlySpan<byte> frame, out int payload, out uint sequence, out byte flags, out int headerLength)
    {
        payload = 0;
        sequence = 0;
        flags = 0;
        headerLength = 0;
        if (frame.Length < TcpOffset + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeIPv4)
        {
            return false;
        }
        ReadOnlySpan<byte> ip = frame[EthernetHeaderBytes..];
        if (ip[0] != 0x45 || ip[9] != ProtocolTcp || BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) != ip.Length ||
            (ip[6] & 0xbf) != 0 || ip[7] != 0) // reserved bit, MF or a fragment offset
        {
            return false;
        }
        int tcpHeaderLength = (frame[TcpOffset + 12] >> 4) * 4;
        flags = frame[TcpOffset + 13];
        headerLength = TcpOffset + tcpHeaderLength;
        payload = frame.Length - headerLength;
        if (tcpHeaderLength < 20 || payload <= 0 || (flags != TcpAck && flags != (TcpAck | TcpPsh)) ||
            !InternetChecksum.IsValidIPv4Header(ip))
        {
            return false;
        }
        uint pseudo = InternetChecksum.PseudoHeaderV4(ip.Slice(12, 4), ip.Slice(16, 4), ProtocolTcp, ip.Length - 20);
        if (InternetChecksum.Finish(InternetChecksum.Add(frame[TcpOffset..], pseudo)) != 0)
        {
            return false;
        }
        sequence = BinaryPrimitives.ReadUInt32BigEndian(frame[(TcpOffset + 4)..]);
        return true;
    }

    private bool CanMerge(ReadOnlySpan<byte> frame, int payload, uint sequence, int headerLength)
    {
        if (_closed || payload > _gsoSize || headerLength != _headerLength || sequence != _nextSequence ||
            _openLength + payload - EthernetHeaderBytes > MaxIPv4Length || (!_openIsSuper && !HasFreeBuffer))
        {
            return false;
        }
        ReadOnlySpan<byte> open = _openBuffer.AsSpan(_openOffset, headerLength);
        const int ip = EthernetHeaderBytes;
        const int tcp = TcpOffset;
        return frame[..(ip + 2)].SequenceEqual(open[..(ip + 2)]) &&                        // Ethernet; IP version, IHL, TOS
            frame[(ip + 6)..(ip + 10)].SequenceEqual(open[(ip + 6)..(ip + 10)]) &&           // IP flags, TTL, protocol
            frame[(ip + 12)..(tcp + 4)].SequenceEqual(open[(ip + 12)..(tcp + 4)]) &&         // IP addresses, ports
            frame[(tcp + 8)..(tcp + 13)].SequenceEqual(open[(tcp + 8)..(tcp + 13)]) &&       // acknowledgement, data offset
            frame[(tcp + 14)..(tcp + 16)].SequenceEqual(open[(tcp + 14)..(tcp + 16)]) &&     // window
            frame[(tcp + 18)..headerLength].SequenceEqual(open[(tcp + 18)..headerLength]);   // urgent pointer, options
    }

    private void Merge(ReadOnlySpan<byte> frame, int payload, byte flags, int headerLength)
    {
        if (!_openIsSuper)
        {
            byte[] super = _buffers[_used++];
            _openBuffer.AsSpan(_openOffset, _openLength).CopyTo(super.AsSpan(PacketBatch.Headroom));
            _openBuffer = super;
            _openOffset = PacketBatch.Headroom;
            _openIsSuper = true;
        }
        frame.Slice(headerLength, payload).CopyTo(_openBuffer.AsSpan(_openOffset + _openLength));
        _openLength += payload;
        _nextSequence += (uint)payload;
        if (payload < _gsoSize)
        {
            _closed = true;
        }
        if ((flags & TcpPsh) != 0)
        {
            _openBuffer![_openOffset + TcpOffset + 13] |= TcpPsh;
            _closed = true;
        }
    }

    private static void Emit(PacketBatch output, byte[] buffer, int offset, int length, in VirtioNetHeader offload)
    {
        int slot = output.Count++;
        output.Set(slot, buffer, offset, length);
        output.Offloads[slot] = offload;
    }
}
