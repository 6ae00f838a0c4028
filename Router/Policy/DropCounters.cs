using System.Globalization;

namespace Weave.Router.Policy;

/// <summary>
/// Reads <c>nft list counters</c>: each named counter's packets. The text is nft's, not a
/// peer's, but it is still read leniently: a line that does not fit is skipped.
/// </summary>
internal static class DropCounters
{
    public static IReadOnlyDictionary<string, long> Parse(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        string? name = null;
        foreach (string raw in listing.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("counter ", StringComparison.Ordinal) && line.EndsWith('{'))
            {
                name = line["counter ".Length..^1].Trim();
            }
            else if (name is not null && line.StartsWith("packets ", StringComparison.Ordinal))
            {
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length >= 2 && long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out long packets))
                {
                    counts[name] = packets;
                }
                name = null;
            }
        }
        return counts;
    }
}
