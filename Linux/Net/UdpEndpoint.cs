using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weave.Linux;

/// <summary>
/// An IPv4 or IPv6 address and UDP port as a plain value: reading it from a received datagram and
/// writing it into a send allocates nothing (unlike <see cref="IPEndPoint"/>). The default value
/// (family <see cref="AddressFamily.Unspecified"/>) means "no address": the connected peer.
/// </summary>
public readonly struct UdpEndpoint : IEquatable<UdpEndpoint>
{
    // The address bytes in network order: an IPv4 address in the low 4 bytes of _low.
    private readonly ulong _high;
    private readonly ulong _low;

    private UdpEndpoint(AddressFamily family, ulong high, ulong low, ushort port, uint scopeId)
    {
        Family = family;
        _high = high;
        _low = low;
        Port = port;
        ScopeId = scopeId;
    }

    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public UdpEndpoint(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            _low = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            address.TryWriteBytes(bytes, out _);
            _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
            _low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
            ScopeId = (uint)address.ScopeId;
        }
        else
        {
            throw new ArgumentException($"Not an IP address family: {address.AddressFamily}.", nameof(address));
        }
        Family = address.AddressFamily;
        Port = (ushort)port;
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/>, <see cref="AddressFamily.InterNetworkV6"/>,
    /// or <see cref="AddressFamily.Unspecified"/> for the default value.</summary>
    public AddressFamily Family { get; }

    public ushort Port { get; }

    /// <summary>The IPv6 scope (interface index) of a link-local address; 0 otherwise.</summary>
    public uint ScopeId { get; }

    public bool IsIPv4 => Family == AddressFamily.InterNetwork;

    public bool IsIPv6 => Family == AddressFamily.InterNetworkV6;

    public static UdpEndpoint FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new UdpEndpoint(endPoint.Address, endPoint.Port);
    }

    /// <summary>The IPv4 address as a big-endian number (10.0.0.1 is 0x0a000001); 0 for IPv6.</summary>
    public uint IPv4Address => IsIPv4 ? (uint)_low : 0;

    /// <summary>Copies the address bytes (4 or 16) into <paramref name="destination"/>; returns how many.</summary>
    public int WriteAddressBytes(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            return 4;
        }
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
            return 16;
        }
        return 0;
    }

    /// <summary>An <see cref="IPEndPoint"/> (allocates: for the control plane and logs).</summary>
    /// <exception cref="InvalidOperationException">The endpoint is the default value.</exception>
    public IPEndPoint ToIPEndPoint()
    {
        if (Family == AddressFamily.Unspecified)
        {
            throw new InvalidOperationException("The default UdpEndpoint has no address.");
        }
        Span<byte> bytes = stackalloc byte[16];
        int length = WriteAddressBytes(bytes);
        IPAddress address = IsIPv4 ? new IPAddress(bytes[..length]) : new IPAddress(bytes[..length], ScopeId);
        return new IPEndPoint(address, Port);
    }

    /// <summary>Writes a sockaddr_in or sockaddr_in6; returns its length (0 for the default value).</summary>
    internal unsafe int WriteSockAddr(byte* destination)
    {
        if (IsIPv4)
        {
            var span = new Span<byte>(destination, SocketNative.SockAddrInSize);
            span.Clear();
            *(ushort*)destination = SocketNative.AF_INET;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], Port);
            WriteAddressBytes(span[4..]);
            return SocketNative.SockAddrInSize;
        }
        if (IsIPv6)
        {
            var span = new Span<byte>(destination, SocketNative.SockAddrIn6Size);
            span.Clear();
            *(ushort*)destination = SocketNative.AF_INET6;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], Port);
            WriteAddressBytes(span[8..]);
            *(uint*)(destination + 24) = ScopeId;
            return SocketNative.SockAddrIn6Size;
        }
        return 0;
    }

    /// <summary>Reads a sockaddr_in or sockaddr_in6 of <paramref name="length"/> bytes; the default
    /// value for anything else.</summary>
    internal static unsafe UdpEndpoint ReadSockAddr(byte* source, int length)
    {
        if (length < sizeof(ushort))
        {
            return default;
        }
        var span = new ReadOnlySpan<byte>(source, length);
        ushort family = *(ushort*)source;
        if (family == SocketNative.AF_INET && length >= SocketNative.SockAddrInSize)
        {
            return new UdpEndpoint(AddressFamily.InterNetwork, 0, BinaryPrimitives.ReadUInt32BigEndian(span[4..]),
                BinaryPrimitives.ReadUInt16BigEndian(span[2..]), 0);
        }
        if (family == SocketNative.AF_INET6 && length >= SocketNative.SockAddrIn6Size)
        {
            return new UdpEndpoint(AddressFamily.InterNetworkV6, BinaryPrimitives.ReadUInt64BigEndian(span[8..]),
                BinaryPrimitives.ReadUInt64BigEndian(span[16..]), BinaryPrimitives.ReadUInt16BigEndian(span[2..]),
                *(uint*)(source + 24));
        }
        return default;
    }

    public bool Equals(UdpEndpoint other) =>
        Family == other.Family && _high == other._high && _low == other._low && Port == other.Port && ScopeId == other.ScopeId;

    public override bool Equals(object? obj) => obj is UdpEndpoint other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, _high, _low, Port, ScopeId);

    public static bool operator ==(UdpEndpoint left, UdpEndpoint right) => left.Equals(right);

    public static bool operator !=(UdpEndpoint left, UdpEndpoint right) => !left.Equals(right);

    public override string ToString() => Family == AddressFamily.Unspecified ? "(none)" : ToIPEndPoint().ToString();
}
