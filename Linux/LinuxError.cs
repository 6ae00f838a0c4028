using System.Runtime.InteropServices;

namespace Weave.Linux;

/// <summary>A failed system call, with the errno and the call's purpose in the message.</summary>
public sealed class LinuxError : IOException
{
    public LinuxError(string what, int errno)
        : base($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno)
    {
        Errno = errno;
    }

    public LinuxError()
    {
    }

    public LinuxError(string message) : base(message)
    {
    }

    public LinuxError(string message, Exception innerException) : base(message, innerException)
    {
    }

    public int Errno { get; }

    /// <summary>Builds the error from the errno left by the last P/Invoke on this thread.</summary>
    public static LinuxError FromLastError(string what) => new(what, Marshal.GetLastPInvokeError());
}
