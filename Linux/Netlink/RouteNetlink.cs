using Tmds.Linux;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>
/// A NETLINK_ROUTE socket in the network namespace of the thread that opened it (open it inside
/// <see cref="NetNs.Run(string, Action)"/> to manage another namespace, then use it from any thread).
/// Each call sends one request with a fresh sequence number and waits for the kernel's answer;
/// calls are serialised, so one instance may be shared. An NLMSG_ERROR from the kernel becomes a
/// <see cref="LinuxError"/> whose message names the operation and the link, with the kernel's
/// extended-ack text when it gave one.
/// </summary>
public sealed partial class RouteNetlink : IDisposable
{
    private const int ReceiveBufferBytes = 32 * 1024;
    private const int RequestBufferBytes = 1024;
    private const int MaxDumpAttempts = 5;

    private readonly NetlinkSocket _socket;
    private readonly Lock _gate = new();
    private readonly byte[] _request = new byte[RequestBufferBytes]; // guarded by _gate
    private byte[] _receive = new byte[ReceiveBufferBytes];          // guarded by _gate
    private uint _sequence;                                          // guarded by _gate
    private bool _disposed;                                          // guarded by _gate

    private RouteNetlink(NetlinkSocket socket)
    {
        _socket = socket;
    }

    /// <summary>Opens a socket in the calling thread's network namespace.</summary>
    public static RouteNetlink Open() => new(NetlinkSocket.Open(NETLINK_ROUTE));

    /// <summary>RTM_GETLINK by IFLA_IFNAME; null when no such link exists (ENODEV).</summary>
    public LinkInfo? GetLink(string name)
    {
        InterfaceName.Validate(name, nameof(name));
        lock (_gate)
        {
            var message = Begin(RTM_GETLINK, NLM_F_REQUEST, out uint sequence);
            message.WriteIfInfoMsg(index: 0);
            message.AddString(IFLA_IFNAME, name);
            return QueryLink(message.Finish(), sequence, "get link " + name);
        }
    }

    /// <summary>RTM_GETLINK by index; null when no such link exists (ENODEV).</summary>
    public LinkInfo? GetLink(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        lock (_gate)
        {
            var message = Begin(RTM_GETLINK, NLM_F_REQUEST, out uint sequence);
            message.WriteIfInfoMsg(index);
            return QueryLink(message.Finish(), sequence, "get link " + Describe(index));
        }
    }

    /// <summary>Every link in the namespace (an RTM_GETLINK dump, retried if the kernel flags it interrupted).</summary>
    public IReadOnlyList<LinkInfo> ListLinks()
    {
        lock (_gate)
        {
            for (int attempt = 1; ; attempt++)
            {
                var message = Begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, out uint sequence);
                message.WriteIfInfoMsg(index: 0);
                var links = DumpLinks(message.Finish(), sequence, "list links", out bool interrupted);
                if (!interrupted || attempt == MaxDumpAttempts)
                {
                    return links;
                }
            }
        }
    }

    /// <summary>Creates a bridge (RTM_NEWLINK kind "bridge", NLM_F_CREATE | NLM_F_EXCL). It starts down.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when a link of that name exists.</exception>
    public void CreateBridge(string name, int mtu = 0)
    {
        InterfaceName.Validate(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        lock (_gate)
        {
            var message = BeginNewLink(name, mtu, "bridge", out uint sequence, out int linkInfo);
            message.EndNested(linkInfo);
            Execute(message.Finish(), sequence, "create bridge " + name);
        }
    }

    /// <summary>Creates a veth pair <paramref name="name"/> / <paramref name="peerName"/>, both down,
    /// both with <paramref name="mtu"/> when it is positive.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when either name is taken.</exception>
    public void CreateVethPair(string name, string peerName, int mtu = 0)
    {
        InterfaceName.Validate(name, nameof(name));
        InterfaceName.Validate(peerName, nameof(peerName));
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        lock (_gate)
        {
            var message = BeginNewLink(name, mtu, "veth", out uint sequence, out int linkInfo);
            int data = message.BeginNested(IFLA_INFO_DATA);
            int peer = message.BeginNested(VETH_INFO_PEER);
            message.WriteIfInfoMsg(index: 0); // VETH_INFO_PEER holds an ifinfomsg, then the peer's attributes
            message.AddString(IFLA_IFNAME, peerName);
            if (mtu > 0)
            {
                message.AddUInt32(IFLA_MTU, (uint)mtu);
            }
            message.EndNested(peer);
            message.EndNested(data);
            message.EndNested(linkInfo);
            Execute(message.Finish(), sequence, $"create veth pair {name} {peerName}");
        }
    }

    /// <summary>Sets IFF_UP.</summary>
    public void SetUp(int index) => SetFlags(index, IFF_UP, "set up");

    /// <summary>Clears IFF_UP.</summary>
    public void SetDown(int index) => SetFlags(index, 0, "set down");

    /// <summary>Attaches the link to the bridge <paramref name="masterIndex"/> (IFLA_MASTER); 0 detaches it.</summary>
    public void SetMaster(int index, int masterIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(masterIndex);
        SetAttribute(index, IFLA_MASTER, (uint)masterIndex, masterIndex == 0 ? "detach" : $"set master ifindex {masterIndex} on");
    }

    public void SetMtu(int index, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        SetAttribute(index, IFLA_MTU, (uint)mtu, $"set mtu {mtu} on");
    }

    /// <summary>Sets the link's Ethernet address (IFLA_ADDRESS, 6 bytes).</summary>
    public void SetMacAddress(int index, ReadOnlySpan<byte> mac)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        if (mac.Length != 6)
        {
            throw new ArgumentException($"An Ethernet address has 6 bytes, not {mac.Length}.", nameof(mac));
        }
        lock (_gate)
        {
            var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
            message.WriteIfInfoMsg(index);
            message.AddAttribute(IFLA_ADDRESS, mac);
            Execute(message.Finish(), sequence, "set address on " + Describe(index));
        }
    }

    /// <summary>RTM_DELLINK. Deleting one end of a veth pair deletes both.</summary>
    /// <exception cref="LinuxError">With Errno ENODEV when no such link exists.</exception>
    public void DeleteLink(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        lock (_gate)
        {
            var message = Begin(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
            message.WriteIfInfoMsg(index);
            Execute(message.Finish(), sequence, "delete link " + Describe(index));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _socket.Dispose();
        }
    }

    private static string Describe(int index) => "ifindex " + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void SetFlags(int index, uint flags, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        lock (_gate)
        {
            var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
            message.WriteIfInfoMsg(index, flags, change: IFF_UP);
            Execute(message.Finish(), sequence, what + " " + Describe(index));
        }
    }

    private void SetAttribute(int index, ushort type, uint value, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        lock (_gate)
        {
            var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
            message.WriteIfInfoMsg(index);
            message.AddUInt32(type, value);
            Execute(message.Finish(), sequence, what + " " + Describe(index));
        }
    }

    /// <summary>Starts a request in the shared buffer. Call with <see cref="_gate"/> held.</summary>
    /// <summary>An exclusive RTM_NEWLINK for <paramref name="name"/> of <paramref name="kind"/>, left
    /// inside its open IFLA_LINKINFO nest (after IFLA_INFO_KIND) for kind-specific data.</summary>
    private NetlinkMessage BeginNewLink(string name, int mtu, string kind, out uint sequence, out int linkInfo)
    {
        var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, out sequence);
        message.WriteIfInfoMsg(index: 0);
        message.AddString(IFLA_IFNAME, name);
        if (mtu > 0)
        {
            message.AddUInt32(IFLA_MTU, (uint)mtu);
        }
        linkInfo = message.BeginNested(IFLA_LINKINFO);
        message.AddString(IFLA_INFO_KIND, kind);
        return message;
    }

    private NetlinkMessage Begin(ushort type, ushort flags, out uint sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        sequence = ++_sequence;
        if (sequence == 0)
        {
            sequence = _sequence = 1;
        }
        return new NetlinkMessage(_request, type, flags, sequence);
    }

    private static LinuxError Malformed(string what) => new(what + ": malformed netlink reply", LibC.EBADMSG);

    private static LinuxError KernelError(string what, int errno, string? detail) =>
        new(detail is null ? what : $"{what} ({detail})", errno);
}
