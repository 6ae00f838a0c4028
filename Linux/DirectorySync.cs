using System.Text;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>Durability of renames: a file renamed into a directory survives a crash only once the directory is synced.</summary>
public static class DirectorySync
{
    /// <summary>fsync(2) of a directory, so a rename into it is on disk.</summary>
    /// <exception cref="LinuxError">The directory cannot be opened or synced.</exception>
    public static unsafe void Flush(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        byte[] pathZ = Encoding.UTF8.GetBytes(directory + "\0");
        int fd;
        fixed (byte* p = pathZ)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0)
        {
            throw LinuxError.FromLastError($"open directory {directory}");
        }
        try
        {
            if (LibC.fsync(fd) != 0)
            {
                throw LinuxError.FromLastError($"fsync directory {directory}");
            }
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }
}
