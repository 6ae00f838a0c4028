using System.Runtime.InteropServices;

namespace Weave.Linux;

/// <summary>The few libc functions Tmds.LibC lacks or imports without <c>SetLastError</c>
/// (its <c>poll</c> does not capture errno, and its <c>ioctl</c> takes no pointer argument).</summary>
internal static unsafe partial class LibCShims
{
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint nfds, int timeoutMilliseconds);

    /// <summary>ioctl(2) with a pointer argument. The request is <c>unsigned long</c> in glibc.</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argp);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint writev(int fd, SocketNative.IoVec* iov, int iovcnt);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true)]
    public static partial uint if_nametoindex(byte* name);
}
