using System.Runtime.InteropServices;
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

    private static readonly ReplyCollector<LinkInfo> s_collectLink = static (payload, links) =>
    {
        if (!NetlinkParser.TryParseLink(payload, out LinkInfo? link))
        {
            return false;
        }
        links.Add(link);
        return true;
    };

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
            return Query<LinkInfo>(message.Finish(), sequence, RTM_NEWLINK, NetlinkParser.TryParseLink, [LibC.ENODEV], "get link " + name);
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
            return Query<LinkInfo>(message.Finish(), sequence, RTM_NEWLINK, NetlinkParser.TryParseLink, [LibC.ENODEV], "get link " + Describe(index));
        }
    }

    /// <summary>Every link in the namespace (an RTM_GETLINK dump, retried if the kernel flags it interrupted).</summary>
    public IReadOnlyList<LinkInfo> ListLinks()
    {
        lock (_gate)
        {
            return DumpConsistent(RTM_GETLINK, RTM_NEWLINK, s_collectLink, "list links",
                static (ref NetlinkMessage message) => message.WriteIfInfoMsg(index: 0));
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
            uint sequence = NextSequence();
            var message = BeginNewLink(_request, sequence, name, mtu, "bridge", out int linkInfo);
            message.EndNested(linkInfo);
            Execute(message.Finish(), sequence, "create bridge " + name);
        }
    }

    /// <summary>Creates a veth pair <paramref name="name"/> / <paramref name="peerName"/>, both down,
    /// both with <paramref name="mtu"/> when it is positive.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when either name is taken.</exception>
    public void CreateVethPair(string name, string peerName, int mtu = 0) => CreateVethPair(name, peerName, mtu, peerNetNs: null);

    /// <summary>Creates a veth pair whose peer is born in the network namespace <paramref name="peerNetNs"/>
    /// (IFLA_NET_NS_FD in the peer's attributes), already named <paramref name="peerName"/> there: one
    /// request, no rename, no window in which the peer sits in this namespace. Deleting
    /// <paramref name="name"/> (or the peer's namespace) deletes both ends.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when <paramref name="name"/> is taken here or
    /// <paramref name="peerName"/> in the peer's namespace.</exception>
    public void CreateVethPair(string name, string peerName, int mtu, SafeHandle? peerNetNs)
    {
        InterfaceName.Validate(name, nameof(name));
        InterfaceName.Validate(peerName, nameof(peerName));
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        if (peerNetNs is not null && (peerNetNs.IsClosed || peerNetNs.IsInvalid))
        {
            throw new ArgumentException("The peer's network namespace handle is closed or invalid.", nameof(peerNetNs));
        }
        bool added = false;
        try
        {
            peerNetNs?.DangerousAddRef(ref added); // the fd number stays ours until the kernel has answered
            lock (_gate)
            {
                uint sequence = NextSequence();
                int fd = added ? (int)peerNetNs!.DangerousGetHandle() : -1;
                Execute(EncodeVethPair(_request, sequence, name, peerName, mtu, fd), sequence,
                    fd < 0 ? $"create veth pair {name} {peerName}" : $"create veth pair {name} {peerName} (peer in network namespace fd {fd})");
            }
        }
        finally
        {
            if (added)
            {
                peerNetNs!.DangerousRelease();
            }
        }
    }

    /// <summary>The RTM_NEWLINK request of <see cref="CreateVethPair(string, string, int, SafeHandle?)"/>;
    /// <paramref name="peerNetNsFd"/> is -1 to leave the peer in this namespace.</summary>
    internal static ReadOnlySpan<byte> EncodeVethPair(Span<byte> buffer, uint sequence, string name, string peerName, int mtu, int peerNetNsFd)
    {
        var message = BeginNewLink(buffer, sequence, name, mtu, "veth", out int linkInfo);
        int data = message.BeginNested(IFLA_INFO_DATA);
        int peer = message.BeginNested(VETH_INFO_PEER);
        message.WriteIfInfoMsg(index: 0); // VETH_INFO_PEER holds an ifinfomsg, then the peer's attributes
        message.AddString(IFLA_IFNAME, peerName);
        if (mtu > 0)
        {
            message.AddUInt32(IFLA_MTU, (uint)mtu);
        }
        if (peerNetNsFd >= 0)
        {
            message.AddUInt32(IFLA_NET_NS_FD, (uint)peerNetNsFd);
        }
        message.EndNested(peer);
        message.EndNested(data);
        message.EndNested(linkInfo);
        return message.Finish();
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

    /// <summary>Renames the link (IFLA_IFNAME). The link must be down: the kernel refuses to rename
    /// a running interface (EBUSY) except for a few kinds that allow it.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when the name is taken, EBUSY when the link is up.</exception>
    public void SetName(int index, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        InterfaceName.Validate(name, nameof(name));
        lock (_gate)
        {
            var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
            message.WriteIfInfoMsg(index);
            message.AddString(IFLA_IFNAME, name);
            Execute(message.Finish(), sequence, $"rename {Describe(index)} to {name}");
        }
    }

    /// <summary>Moves the link into the network namespace <paramref name="netns"/> (IFLA_NET_NS_FD),
    /// for example one opened with <see cref="NetNs.Open(string)"/>. The link leaves this socket's
    /// namespace; keeps its name and, when that number is free there, its index; and arrives down.
    /// Manage it there with a <see cref="RouteNetlink"/> opened inside that namespace.</summary>
    /// <exception cref="LinuxError">With Errno EEXIST when the target already has a link of that name.</exception>
    public void SetNetNs(int index, SafeHandle netns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentNullException.ThrowIfNull(netns);
        ObjectDisposedException.ThrowIf(netns.IsClosed, netns);
        if (netns.IsInvalid)
        {
            throw new ArgumentException("The network namespace handle is invalid.", nameof(netns));
        }
        bool added = false;
        try
        {
            netns.DangerousAddRef(ref added); // the fd number stays ours until the kernel has answered
            int fd = (int)netns.DangerousGetHandle();
            lock (_gate)
            {
                var message = Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, out uint sequence);
                message.WriteIfInfoMsg(index);
                message.AddUInt32(IFLA_NET_NS_FD, (uint)fd);
                Execute(message.Finish(), sequence, $"move {Describe(index)} to network namespace fd {fd}");
            }
        }
        finally
        {
            if (added)
            {
                netns.DangerousRelease();
            }
        }
    }

    /// <summary>Turns hairpin mode of a bridge port on or off: whether the bridge may send a frame
    /// back out of the port it came in on (needed for a container to reach itself through a service
    /// address), as <c>bridge link set dev PORT hairpin on</c> does.</summary>
    /// <exception cref="LinuxError">With Errno EOPNOTSUPP when the link is not attached to a bridge.</exception>
    public void SetBridgePortHairpin(int index, bool on) =>
        SetBridgePort(index, new BridgePortSettings(Hairpin: on), $"set hairpin {(on ? "on" : "off")} on bridge port {Describe(index)}");

    /// <summary>Changes the settings of a bridge port that <paramref name="settings"/> gives (an
    /// AF_BRIDGE RTM_SETLINK with IFLA_BRPORT_* nested in IFLA_PROTINFO, as <c>bridge link set</c> sends).</summary>
    /// <exception cref="LinuxError">With Errno EOPNOTSUPP when the link is not attached to a bridge.</exception>
    public void SetBridgePort(int index, BridgePortSettings settings) =>
        SetBridgePort(index, settings, $"set {settings} on bridge port {Describe(index)}");

    private void SetBridgePort(int index, in BridgePortSettings settings, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        lock (_gate)
        {
            uint sequence = NextSequence();
            Execute(EncodeBridgePort(_request, sequence, index, settings), sequence, what);
        }
    }

    /// <summary>The AF_BRIDGE RTM_SETLINK request of <see cref="SetBridgePort(int, BridgePortSettings)"/>:
    /// one u8 attribute per setting given, in IFLA_BRPORT_* order.</summary>
    internal static ReadOnlySpan<byte> EncodeBridgePort(Span<byte> buffer, uint sequence, int index, in BridgePortSettings settings)
    {
        var message = new NetlinkMessage(buffer, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, sequence);
        message.WriteIfInfoMsg(index, family: AF_BRIDGE);
        // Without NLA_F_NESTED the kernel reads IFLA_PROTINFO as the old single STP-state byte.
        int protinfo = message.BeginNested(IFLA_PROTINFO | NLA_F_NESTED);
        AddFlag(ref message, IFLA_BRPORT_MODE, settings.Hairpin);
        AddFlag(ref message, IFLA_BRPORT_LEARNING, settings.Learning);
        AddFlag(ref message, IFLA_BRPORT_UNICAST_FLOOD, settings.UnicastFlood);
        AddFlag(ref message, IFLA_BRPORT_MCAST_FLOOD, settings.MulticastFlood);
        AddFlag(ref message, IFLA_BRPORT_BCAST_FLOOD, settings.BroadcastFlood);
        AddFlag(ref message, IFLA_BRPORT_ISOLATED, settings.Isolated);
        message.EndNested(protinfo);
        return message.Finish();
    }

    private static void AddFlag(ref NetlinkMessage message, ushort type, bool? value)
    {
        if (value is { } on)
        {
            message.AddByte(type, on ? (byte)1 : (byte)0);
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

    /// <summary>An exclusive RTM_NEWLINK for <paramref name="name"/> of <paramref name="kind"/>, left
    /// inside its open IFLA_LINKINFO nest (after IFLA_INFO_KIND) for kind-specific data.</summary>
    private static NetlinkMessage BeginNewLink(Span<byte> buffer, uint sequence, string name, int mtu, string kind, out int linkInfo)
    {
        var message = new NetlinkMessage(buffer, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sequence);
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

    /// <summary>Starts a request in the shared buffer. Call with <see cref="_gate"/> held.</summary>
    private NetlinkMessage Begin(ushort type, ushort flags, out uint sequence)
    {
        sequence = NextSequence();
        return new NetlinkMessage(_request, type, flags, sequence);
    }

    /// <summary>The sequence number of the next request (never 0). Call with <see cref="_gate"/> held.</summary>
    private uint NextSequence()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint sequence = ++_sequence;
        if (sequence == 0)
        {
            sequence = _sequence = 1;
        }
        return sequence;
    }

    private static LinuxError Malformed(string what) => NetlinkSocket.Malformed(what);

    private static LinuxError KernelError(string what, int errno, string? detail) =>
        new(detail is null ? what : $"{what} ({detail})", errno);
}
