using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>
/// Encodes one netlink request into a caller's buffer: a struct nlmsghdr, a fixed family header
/// (struct ifinfomsg for links, ifaddrmsg for addresses, rtmsg for routes) and rtattrs, nested ones included, each padded to 4 bytes.
/// <code>
///  0               4       6       8               12              16
///  | nlmsg_len     | type  | flags | nlmsg_seq     | nlmsg_pid (0) | ifinfomsg (16) | rtattr... |
///  rtattr: | rta_len (u16, header + value, unpadded) | rta_type (u16) | value | pad to 4 |
/// </code>
/// Integers are in host byte order. Running out of buffer is a bug in the caller and throws
/// <see cref="InvalidOperationException"/>.
/// </summary>
internal ref struct NetlinkMessage
{
    private readonly Span<byte> _buffer;
    private int _length;

    public NetlinkMessage(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        _buffer = buffer;
        _length = 0;
        Span<byte> header = Reserve(NLMSG_HDRLEN);
        MemoryMarshal.Write(header[4..], type);
        MemoryMarshal.Write(header[6..], flags);
        MemoryMarshal.Write(header[8..], sequence);
    }

    /// <summary>Bytes written so far (always a multiple of 4).</summary>
    public readonly int Length => _length;

    public static int Align(int length) => (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);

    /// <summary>Appends a struct ifinfomsg: family, type, index, flags and the mask of flags to change.</summary>
    public void WriteIfInfoMsg(int index, uint flags = 0, uint change = 0, byte family = 0, ushort deviceType = 0)
    {
        Span<byte> msg = Reserve(IfInfoMsgSize);
        msg[0] = family;
        MemoryMarshal.Write(msg[2..], deviceType);
        MemoryMarshal.Write(msg[4..], index);
        MemoryMarshal.Write(msg[8..], flags);
        MemoryMarshal.Write(msg[12..], change);
    }

    /// <summary>Appends a struct ifaddrmsg.
    /// <code>| ifa_family (u8) | ifa_prefixlen (u8) | ifa_flags (u8) | ifa_scope (u8) | ifa_index (u32) |</code></summary>
    public void WriteIfAddrMsg(byte family, byte prefixLength, int index, byte scope = 0)
    {
        Span<byte> msg = Reserve(IfAddrMsgSize);
        msg[0] = family;
        msg[1] = prefixLength;
        msg[3] = scope;
        MemoryMarshal.Write(msg[4..], index);
    }

    /// <summary>Appends a struct rtmsg (no source prefix, TOS 0, rtm_flags 0).
    /// <code>| family | dst_len | src_len | tos | table | protocol | scope | type | rtm_flags (u32) |</code></summary>
    public void WriteRtMsg(byte family, byte destinationLength, byte table, byte protocol, byte scope, byte type)
    {
        Span<byte> msg = Reserve(RtMsgSize);
        msg[0] = family;
        msg[1] = destinationLength;
        msg[4] = table;
        msg[5] = protocol;
        msg[6] = scope;
        msg[7] = type;
    }

    /// <summary>Appends a struct ndmsg (ndm_type 0).
    /// <code>| ndm_family (u8) | pad (u8) | pad (u16) | ndm_ifindex (s32) | ndm_state (u16) | ndm_flags (u8) | ndm_type (u8) |</code></summary>
    public void WriteNdMsg(byte family, int index, ushort state, byte flags)
    {
        Span<byte> msg = Reserve(NdMsgSize);
        msg[0] = family;
        MemoryMarshal.Write(msg[4..], index);
        MemoryMarshal.Write(msg[8..], state);
        msg[10] = flags;
    }

    /// <summary>Appends a struct nfgenmsg, the family header of nfnetlink (version NFNETLINK_V0).
    /// <code>| nfgen_family (u8) | version (u8) | res_id (be16: a queue or log group) |</code></summary>
    public void WriteNfGenMsg(byte family, ushort resourceId)
    {
        Span<byte> msg = Reserve(NfGenMsgSize);
        msg[0] = family;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(msg[2..], resourceId);
    }

    public void AddAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        int rtaLength = RTA_HDRLEN + value.Length;
        if (rtaLength > ushort.MaxValue)
        {
            throw new InvalidOperationException($"rtattr {type} of {value.Length} bytes does not fit rta_len");
        }
        Span<byte> attribute = Reserve(rtaLength);
        MemoryMarshal.Write(attribute, (ushort)rtaLength);
        MemoryMarshal.Write(attribute[2..], type);
        value.CopyTo(attribute[RTA_HDRLEN..]);
    }

    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        MemoryMarshal.Write(bytes, value);
        AddAttribute(type, bytes);
    }

    public void AddByte(ushort type, byte value) => AddAttribute(type, [value]);

    /// <summary>Adds an IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order.</summary>
    public void AddIPAddress(ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            throw new InvalidOperationException($"cannot encode {address}");
        }
        AddAttribute(type, bytes[..written]);
    }

    /// <summary>Adds a NUL-terminated UTF-8 string (NLA_NUL_STRING/NLA_STRING as the kernel expects).</summary>
    public void AddString(ushort type, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> bytes = count < 256 ? stackalloc byte[count + 1] : new byte[count + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[count] = 0;
        AddAttribute(type, bytes);
    }

    /// <summary>Starts a nested attribute; pass the result to <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        Span<byte> header = Reserve(RTA_HDRLEN);
        MemoryMarshal.Write(header[2..], type);
        return start;
    }

    public readonly void EndNested(int start)
    {
        int rtaLength = _length - start;
        if (start < NLMSG_HDRLEN || start > _length - RTA_HDRLEN || rtaLength > ushort.MaxValue)
        {
            throw new InvalidOperationException("EndNested without a matching BeginNested, or the nest is too large");
        }
        MemoryMarshal.Write(_buffer[start..], (ushort)rtaLength);
    }

    /// <summary>Sets nlmsg_len and returns the encoded message.</summary>
    public readonly ReadOnlySpan<byte> Finish()
    {
        MemoryMarshal.Write(_buffer, (uint)_length);
        return _buffer[.._length];
    }

    /// <summary>Claims <paramref name="length"/> bytes plus padding, zeroed, and returns the unpadded part.</summary>
    private Span<byte> Reserve(int length)
    {
        int padded = Align(length);
        if (padded > _buffer.Length - _length)
        {
            throw new InvalidOperationException(
                $"netlink request needs more than its {_buffer.Length}-byte buffer");
        }
        Span<byte> span = _buffer.Slice(_length, padded);
        span.Clear();
        _length += padded;
        return span[..length];
    }
}
