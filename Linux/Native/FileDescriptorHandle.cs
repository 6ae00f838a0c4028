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

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
