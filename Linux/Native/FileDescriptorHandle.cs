using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>An owned file descriptor. Closing goes through the SafeHandle reference count, so a
/// descriptor in use by a read on another thread is closed only after that read returns and its
/// number can never be reused under it.</summary>
internal sealed class FileDescriptorHandle : SafeHandleMinusOneIsInvalid
{
    public FileDescriptorHandle(int fd) : base(ownsHandle: true)
    {
        SetHandle(fd);
    }

    public int Fd => (int)handle;

    /// <summary>A new non-blocking, close-on-exec eventfd, for waking a thread blocked in poll().</summary>
    /// <exception cref="LinuxError">eventfd() failed; <paramref name="what"/> names it in the error.</exception>
    public static FileDescriptorHandle CreateEventFd(string what)
    {
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        return fd >= 0 ? new FileDescriptorHandle(fd) : throw new LinuxError(what, Marshal.GetLastPInvokeError());
    }

    /// <summary><see cref="SafeHandle.DangerousAddRef"/>, failing as a call on the disposed
    /// <paramref name="owner"/> (a device or socket) rather than on a handle it hides.</summary>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    public void AddRefOrThrow(ref bool added, Type owner)
    {
        try
        {
            DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(owner.FullName);
        }
    }

    /// <summary>Adds 1 to an eventfd, waking whoever polls it; does nothing once it is closed.</summary>
    public unsafe void SignalEventFd()
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            ulong one = 1;
            _ = LibC.write(Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile (a concurrent Dispose): nobody waits on it any more.
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
