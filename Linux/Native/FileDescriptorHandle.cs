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
