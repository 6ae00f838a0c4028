using System.Globalization;

namespace Weave.Lab.Soak;

/// <summary>A process's resident memory and open file descriptors, read from /proc; null once it is gone.</summary>
public sealed record ProcessSample(double RssMegabytes, int OpenFiles)
{
    public static ProcessSample? Read(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status");
            string? rss = status.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (rss is null)
            {
                return null;
            }
            long kilobytes = long.Parse(rss["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            int files = Directory.GetFileSystemEntries($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd").Length;
            return new ProcessSample(kilobytes / 1024.0, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
