using System.Runtime.InteropServices;

namespace Weave.Linux;

/// <summary>
/// The message structures of sys/socket.h as laid out on 64-bit Linux, the UDP offload options of
/// linux/udp.h, and the batch calls Tmds.LibC lacks. Checked against the C headers by
/// NativeLayoutTests: msghdr is 56 bytes (padding after msg_namelen and msg_flags), mmsghdr 64
/// (4 bytes of padding after msg_len), cmsghdr 16.
/// </summary>
internal static unsafe partial class SocketNative
{
    /// <summary>Linux's values (.NET's AddressFamily.InterNetworkV6 is Windows' 23, not 10).</summary>
    public const ushort AF_INET = 2;
    public const ushort AF_INET6 = 10;

    public const int SOL_UDP = 17;

    /// <summary>setsockopt or cmsg (uint16): the segment size of a UDP GSO send.</summary>
    public const int UDP_SEGMENT = 103;

    /// <summary>setsockopt (int): deliver coalesced datagrams; cmsg (int): their segment size.</summary>
    public const int UDP_GRO = 104;

    public const int SockAddrInSize = 16;
    public const int SockAddrIn6Size = 28;

    /// <summary>CMSG_LEN(0) and the alignment of control messages (sizeof(size_t)).</summary>
    public const int CMsgHeaderSize = 16;
    public const int CMsgAlignment = 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>CMSG_LEN: a control message header plus <paramref name="dataLength"/> bytes.</summary>
    public static int CMsgLength(int dataLength) => CMsgHeaderSize + dataLength;

    /// <summary>CMSG_SPACE: <see cref="CMsgLength"/> rounded up to the alignment.</summary>
    public static int CMsgSpace(int dataLength) => (CMsgLength(dataLength) + CMsgAlignment - 1) & ~(CMsgAlignment - 1);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
