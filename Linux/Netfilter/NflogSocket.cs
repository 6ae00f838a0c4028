using System.Diagnostics;
using static Weave.Linux.NetlinkConstants;
using static Weave.Linux.Netfilter.NflogConstants;

namespace Weave.Linux.Netfilter;

/// <summary>
/// Receives the packets that nft <c>log group N</c> rules send to userspace (NFLOG, over a
/// NETLINK_NETFILTER socket), in the network namespace of the thread that opened it: a kernel
/// <c>log</c> statement prints nothing outside the initial namespace, NFLOG works in any.
/// </summary>
/// <remarks>
/// Opening binds the group in copy-packet mode with a small copy range (the headers are all we
/// read) and a queue threshold of 1, so each packet is sent at once rather than batched for up to
/// a second; the rules' rate limit bounds how many come. One group has one socket per namespace:
/// binding it from a second socket fails with EPERM. Closing the socket unbinds it.
/// <para>One thread receives; <see cref="Dispose"/> may come from any thread and ends a
/// <see cref="Receive"/> in progress. Messages that are not well-formed packet messages are
/// counted and dropped (<see cref="RefusedMessages"/>, <see cref="LastRefusal"/>); so are the
/// times the kernel dropped messages because the receive buffer was full
/// (<see cref="Overruns"/>). Receiving allocates only the packets' addresses and, once per
/// distinct prefix, its string.</para>
/// </remarks>
public sealed class NflogSocket : IDisposable
{
    /// <summary>Enough for an IPv4 header with the longest options (60) or IPv6 with a few
    /// extension headers, plus the ports.</summary>
    public const int DefaultCopyRangeBytes = 128;

    /// <summary>An IPv4 header with the longest options and the ports: less would lose ports.</summary>
    public const int MinCopyRangeBytes = 64;

    private const int MaxCopyRangeBytes = 0xffff;
    private const int ReceiveBufferBytes = 16 * 1024;
    private const int Readable = 1; // the socket's bit in _poll

    private readonly NetlinkSocket _socket;
    private readonly PollSet _poll;
    private readonly string _what;
    private readonly PrefixCache _prefixes = new();  // receiver thread
    private byte[] _receive = new byte[ReceiveBufferBytes]; // receiver thread
    private int _pendingStart;  // receiver thread: the messages of the last datagram not yet parsed
    private int _pendingEnd;    // receiver thread
    private long _refused;
    private long _overruns;
    private volatile string? _lastRefusal;
    private volatile bool _disposed;

    private NflogSocket(NetlinkSocket socket, PollSet poll, ushort group)
    {
        _socket = socket;
        _poll = poll;
        Group = group;
        _what = "NFLOG group " + group.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public ushort Group { get; }

    /// <summary>Messages dropped because they were not well-formed IPv4 or IPv6 packet messages.</summary>
    public long RefusedMessages => Interlocked.Read(ref _refused);

    /// <summary>Why the last refused message was refused; null if none was.</summary>
    public string? LastRefusal => _lastRefusal;

    /// <summary>Times the kernel reported (ENOBUFS) that it dropped messages for this socket
    /// because its receive buffer was full; each time stands for one or more lost packets.</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    /// <summary>Opens a socket in the calling thread's network namespace and binds NFLOG
    /// <paramref name="group"/>, copying up to <paramref name="copyRangeBytes"/> of each packet.</summary>
    /// <exception cref="LinuxError">The kernel refused: EPERM when another socket has the group or
    /// without CAP_NET_ADMIN; EPROTONOSUPPORT or ENOENT without nfnetlink_log.</exception>
    public static NflogSocket Open(ushort group, int copyRangeBytes = DefaultCopyRangeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(copyRangeBytes, MinCopyRangeBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(copyRangeBytes, MaxCopyRangeBytes);
        NetlinkSocket socket = NetlinkSocket.Open(NETLINK_NETFILTER);
        PollSet? poll = null;
        try
        {
            new NflogConfiguration(socket, group).Apply((uint)copyRangeBytes);
            poll = PollSet.ForDescriptors(socket.Descriptor);
            return new NflogSocket(socket, poll, group);
        }
        catch
        {
            poll?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses the packets of the next datagram from the kernel into <paramref name="packets"/>
    /// 0, 1 ..., waiting up to <paramref name="timeoutMilliseconds"/> (-1 forever) for one, and
    /// returns how many. 0 when none came in time, or when the datagram held only refused
    /// messages. When a datagram holds more packets than <paramref name="packets"/> has room for,
    /// the next call returns the rest.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed, before or during the call.</exception>
    /// <exception cref="LinuxError">poll() or recvfrom() failed otherwise.</exception>
    public int Receive(Span<LoggedPacket> packets, int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfZero(packets.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        bool added = false;
        try
        {
            // Held for the whole call: a Dispose meanwhile closes the descriptor only after we return.
            _socket.Descriptor.DangerousAddRef(ref added);
            if (_pendingStart == _pendingEnd && !TryReceiveDatagram(timeoutMilliseconds))
            {
                return 0;
            }
            return ParsePending(packets);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(GetType().FullName);
        }
        finally
        {
            if (added)
            {
                _socket.Descriptor.DangerousRelease();
            }
        }
    }

    /// <summary>Closes the socket, which unbinds the group, and ends a <see cref="Receive"/> in progress.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _poll.Dispose();
        _socket.Dispose();
    }

    private bool TryReceiveDatagram(int timeoutMilliseconds)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int length = _socket.ReceiveNow(ref _receive, _what);
            if (length > 0)
            {
                _pendingStart = 0;
                _pendingEnd = length;
                return true;
            }
            if (length < 0)
            {
                Interlocked.Increment(ref _overruns);
                continue;
            }
            int remaining = PollTimeout.RemainingMilliseconds(start, timeoutMilliseconds);
            if (remaining == 0)
            {
                return false;
            }
            _ = _poll.Wait(Readable, remaining); // woken by Dispose: the check at the top throws
        }
    }

    private int ParsePending(Span<LoggedPacket> packets)
    {
        ReadOnlySpan<byte> rest = _receive.AsSpan(_pendingStart, _pendingEnd - _pendingStart);
        int count = 0;
        while (!rest.IsEmpty && count < packets.Length)
        {
            ReadOnlySpan<byte> message = rest;
            if (!NetlinkParser.TryReadMessage(ref rest, out NetlinkHeader header, out _))
            {
                Refuse("the netlink header does not fit the datagram");
                rest = default;
                break;
            }
            if (header.Type is NLMSG_DONE or NLMSG_NOOP)
            {
                continue; // a batch of several packets (queue threshold above 1) ends with NLMSG_DONE
            }
            if (NflogParser.TryParse(message[..header.Length], _prefixes, out packets[count], out string? refusal))
            {
                count++;
            }
            else
            {
                Refuse(refusal);
            }
        }
        _pendingStart = _pendingEnd - rest.Length;
        return count;
    }

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref _refused);
        _lastRefusal = reason;
    }
}
