using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Weave.Lab;

namespace Weave.EndToEnd.Hostile;

/// <summary>
/// A ping from one pod to another running in the background (5 a second), read from its replies:
/// how many were sent and answered, and the longest run of unanswered ones.
/// </summary>
internal sealed partial class PingWatch : IDisposable
{
    public const double PerSecond = 5;

    private readonly LabProcess _ping;

    public PingWatch(LabPod from, IPAddress to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        _ping = from.Start("ping", "-n", "-i", (1 / PerSecond).ToString("0.0", CultureInfo.InvariantCulture), "-W", "1", to.ToString());
    }

    /// <summary>Sequence numbers answered so far.</summary>
    public IReadOnlyList<int> Answered =>
        [.. ReplyLine().Matches(_ping.Stdout).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    /// <summary>Sent (up to the last answer), answered, and the longest run of unanswered sequence numbers in between.</summary>
    public (int Sent, int Answered, int LongestGap) Summary()
    {
        int[] seqs = [.. Answered.Distinct().Order()];
        if (seqs.Length == 0)
        {
            return (0, 0, 0);
        }
        int gap = 0;
        for (int i = 1; i < seqs.Length; i++)
        {
            gap = Math.Max(gap, seqs[i] - seqs[i - 1] - 1);
        }
        return (seqs[^1] - seqs[0] + 1, seqs.Length, gap);
    }

    public override string ToString()
    {
        var (sent, answered, gap) = Summary();
        return string.Create(CultureInfo.InvariantCulture,
            $"{answered} of {sent} pings answered, longest run unanswered {gap} ({gap / PerSecond:0.0} s)");
    }

    public void Dispose() => _ping.Dispose();

    [GeneratedRegex(@"icmp_seq=(\d+) ttl=")]
    private static partial Regex ReplyLine();
}
