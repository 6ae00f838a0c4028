using System.Globalization;

namespace Weave.Lab.Soak;

/// <summary>A process's resident memory and open file descriptors, read from /proc; null once it is gone.</summary>
public sealed record ProcessSample(double RssMegabytes, int OpenFiles)
{
    public static ProcessSample? Read(int pid)
    {
        try
        {
            if (ResidentKilobytes(pid) is not long kilobytes)
            {
                return null;
            }
            int files = Directory.GetFileSystemEntries($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd").Length;
            return new ProcessSample(kilobytes / 1024.0, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary><c>VmRSS</c> of <c>/proc/PID/status</c> in kB; null once the process is gone.</summary>
    public static long? ResidentKilobytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
