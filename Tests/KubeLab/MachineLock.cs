namespace Weave.KubeLab;

/// <summary>
/// A lock shared by every process on the machine: an exclusive open of a lock file, which .NET
/// takes with flock(2), so it is released when the holder exits, however it exits.
/// </summary>
internal sealed class MachineLock : IDisposable
{
    private readonly FileStream _file;

    private MachineLock(FileStream file) => _file = file;

    /// <summary>Waits up to <paramref name="timeout"/> for the lock.</summary>
    public static MachineLock Acquire(string path, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new MachineLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
