using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// Runs synchronous code inside a network namespace. A network namespace belongs to an OS thread,
/// and an <c>await</c> may resume on another thread, so the body runs on a fresh dedicated thread
/// that is discarded afterwards: no pool thread is ever left in the wrong namespace, and there is
/// nothing to restore. Sockets and file descriptors opened inside keep that namespace after the
/// body returns, so open them there and use them anywhere.
/// </summary>
public static class NetNs
{
    /// <summary>Where <c>ip netns add NAME</c> mounts named namespaces.</summary>
    public const string NamedDirectory = "/var/run/netns";

    /// <summary>Path of a namespace given by name (under <see cref="NamedDirectory"/>) or by path.</summary>
    public static string PathOf(string nameOrPath) =>
        nameOrPath.Contains('/', StringComparison.Ordinal) ? nameOrPath : Path.Combine(NamedDirectory, nameOrPath);

    public static void Run(string nameOrPath, Action body) => Run(nameOrPath, () => { body(); return 0; });

    public static T Run<T>(string nameOrPath, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        string path = PathOf(nameOrPath);
        T? result = default;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(path);
                result = body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            Name = "netns " + nameOrPath,
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result!;
    }

    /// <summary>Opens a network namespace, given by name (under <see cref="NamedDirectory"/>) or by
    /// path (<c>/proc/PID/ns/net</c>), for <see cref="RouteNetlink.SetNetNs"/>. The namespace lives
    /// at least as long as the handle, even if it is deleted meanwhile.</summary>
    /// <exception cref="LinuxError">When the namespace cannot be opened (ENOENT when there is none),
    /// or the path is a file but no network namespace (ENOTTY or EINVAL, "not a network namespace").</exception>
    public static SafeHandle Open(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        string path = PathOf(nameOrPath);
        FileDescriptorHandle handle = OpenHandle(path);
        try
        {
            CheckIsNetworkNamespace(handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return handle;
    }

    /// <summary>NS_GET_NSTYPE (<c>_IO(0xb7, 0x3)</c>, Linux 4.11): the namespace type of an nsfs file.</summary>
    private const uint NS_GET_NSTYPE = 0xb703;

    /// <summary>
    /// Any readable file opens; only an nsfs file of a network namespace is one. Asked here, so a
    /// wrong path (<c>/etc/passwd</c>, a mount namespace) is refused as such, not later as a
    /// puzzling EINVAL from the netlink request that uses it.
    /// </summary>
    private static unsafe void CheckIsNetworkNamespace(FileDescriptorHandle handle, string path)
    {
        int type = LibCShims.ioctl(handle.Fd, NS_GET_NSTYPE, null);
        if (type < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new LinuxError($"{path} is not a network namespace: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        if (type != LibC.CLONE_NEWNET)
        {
            throw new LinuxError($"{path} is a namespace, but not a network namespace");
        }
    }

    private static unsafe FileDescriptorHandle OpenHandle(string path)
    {
        byte[] pathZ = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = pathZ)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0)
        {
            throw LinuxError.FromLastError($"open network namespace {path}");
        }
        return new FileDescriptorHandle(fd);
    }

    private static void Enter(string path)
    {
        using FileDescriptorHandle handle = OpenHandle(path);
        if (LibC.setns(handle.Fd, LibC.CLONE_NEWNET) != 0)
        {
            throw LinuxError.FromLastError($"setns into {path}");
        }
    }
}
