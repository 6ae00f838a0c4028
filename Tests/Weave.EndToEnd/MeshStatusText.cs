using System.Globalization;
using System.Text.RegularExpressions;

namespace Weave.EndToEnd;

/// <summary>
/// Reads Weave's status layouts (WEAVE-REFERENCE §5) as the router prints them:
/// <c>Peers: N (with M established connections)</c> in <c>weave status</c>, and rows
/// <c>-> ip:port  state  info</c> in <c>weave status connections</c>.
/// </summary>
internal static partial class MeshStatusText
{
    /// <summary>One row of <c>weave status connections</c>; <see cref="Info"/> ends with <c>name(nick)</c> once the peer is known.</summary>
    public sealed record Row(bool Outbound, string Address, string State, string Info)
    {
        public bool Established => State == "established";

        /// <summary>True when the row is about <paramref name="nickname"/>'s router: its <c>name(nick)</c> or, before the handshake, its underlay address.</summary>
        public bool IsTo(string nickname, string underlayAddress) =>
            Info.Contains($"({nickname})", StringComparison.Ordinal) ||
            Address.StartsWith(underlayAddress + ":", StringComparison.Ordinal);
    }

    /// <summary>N of <c>Peers: N</c>, or null when the line is missing.</summary>
    public static int? Peers(string status)
    {
        Match match = PeersLine().Match(status);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public static IReadOnlyList<Row> Connections(string connections)
    {
        var rows = new List<Row>();
        foreach (string line in connections.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Match match = ConnectionLine().Match(line);
            if (match.Success)
            {
                rows.Add(new Row(match.Groups[1].Value == "->", match.Groups[2].Value, match.Groups[3].Value, match.Groups[4].Value.Trim()));
            }
        }
        return rows;
    }

    [GeneratedRegex(@"^\s*Peers:\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex PeersLine();

    [GeneratedRegex(@"^(->|<-)\s+(\S+)\s+(\S+)\s*(.*)$")]
    private static partial Regex ConnectionLine();
}
