using System.Globalization;

namespace Weave.Router.Api;

/// <summary>
/// The process basics Prometheus clients export, read from /proc/self/stat and /proc/stat's
/// <c>btime</c>, as the Go client Weave used does.
/// </summary>
public sealed record ProcessStats(double ResidentBytes, double CpuSeconds, double StartTimeSeconds)
{
    /// <summary>/proc's clock ticks (USER_HZ), fixed at 100 by the kernel's ABI on every architecture we run on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The figures now, or null when /proc cannot be read or parsed (then they are left out, not faked).</summary>
    public static ProcessStats? Read()
    {
        try
        {
            return TryParse(File.ReadAllText("/proc/self/stat"), File.ReadAllText("/proc/stat"), Environment.SystemPageSize, out ProcessStats? stats) ? stats : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses /proc/self/stat (the command may hold spaces and parentheses) and /proc/stat.</summary>
    public static bool TryParse(string selfStat, string systemStat, int pageSize, out ProcessStats? stats)
    {
        ArgumentNullException.ThrowIfNull(selfStat);
        ArgumentNullException.ThrowIfNull(systemStat);
        stats = null;
        int close = selfStat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }
        // Fields after the command, numbered from 3 (state) as in proc(5).
        string[] fields = selfStat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int First = 3;
        if (fields.Length <= 24 - First
            || !ulong.TryParse(fields[14 - First], NumberStyles.None, CultureInfo.InvariantCulture, out ulong userTicks)
            || !ulong.TryParse(fields[15 - First], NumberStyles.None, CultureInfo.InvariantCulture, out ulong systemTicks)
            || !ulong.TryParse(fields[22 - First], NumberStyles.None, CultureInfo.InvariantCulture, out ulong startTicks)
            || !long.TryParse(fields[24 - First], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long residentPages)
            || !TryBootTime(systemStat, out ulong bootTime))
        {
            return false;
        }
        stats = new ProcessStats(
            (double)residentPages * pageSize,
            (userTicks + systemTicks) / TicksPerSecond,
            bootTime + (startTicks / TicksPerSecond));
        return true;
    }

    private static bool TryBootTime(string systemStat, out ulong bootTime)
    {
        foreach (string line in systemStat.Split('\n'))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal))
            {
                return ulong.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out bootTime);
            }
        }
        bootTime = 0;
        return false;
    }
}
