using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weave.Npc.Enforcement;

/// <summary>
/// The nft text of a plan's pieces, shared by the whole table (<see cref="NftRuleset"/>) and by
/// the changes between two plans (<see cref="NftChanges"/>), so that both write each object the
/// same way and a change script turns one rendered table into exactly the other.
/// </summary>
internal static class NftText
{
    /// <summary>nft refuses a comment longer than this (bytes).</summary>
    private const int MaxComment = 127;

    public static readonly FlowDirection[] Directions = [FlowDirection.Egress, FlowDirection.Ingress];
    public static readonly AddressFamily[] Families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    /// <summary>Each set's name and its declaration inside the table block. A set is named by its content, so a name stands for one text.</summary>
    public static IEnumerable<(string Name, string Declaration)> Sets(EnforcementPlan plan)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ChainFold fold in plan.Chains.Values.SelectMany(ChainFold.Of))
        {
            if (fold.AnyTraffic is { } any && seen.Add(any.Name))
            {
                yield return (any.Name, SetDeclaration(any.Name, any.NftType, interval: true, any.Intervals.Select(i => i.ToString())));
            }
            if (fold.Ports is { } ports && seen.Add(ports.Name))
            {
                yield return (ports.Name, SetDeclaration(ports.Name, ports.NftType, interval: true, ports.Boxes.Select(b => b.ToString())));
            }
        }
    }

    public static void AppendCounter(StringBuilder s, string name) => s.Append("\tcounter ").Append(name).Append(" {\n\t}\n");

    /// <summary>The chain block with its rules: in a table block, nft adds the chain if it is new and appends the rules.</summary>
    public static void AppendChain(StringBuilder s, PodChain chain, DropLog? log)
    {
        s.Append("\tchain ").Append(chain.Name).Append(" {\n");
        foreach (string rule in Rules(chain, log))
        {
            s.Append("\t\t").Append(rule).Append('\n');
        }
        s.Append("\t}\n");
    }

    /// <summary>The chain's rules as nft text: two chains of one name are the same chain exactly when these are equal.</summary>
    public static string[] Rules(PodChain chain, DropLog? log)
    {
        string verdict = chain.Direction == FlowDirection.Egress ? "return" : "accept";
        string peer = chain.Direction == FlowDirection.Egress ? "daddr" : "saddr";
        string origins = Quote("allowed by " + string.Join(", ", chain.Rules.Select(r => r.Origin).Distinct()));
        var rules = new List<string>();
        foreach (ChainFold fold in ChainFold.Of(chain))
        {
            string ip = fold.Family == AddressFamily.InterNetwork ? "ip" : "ip6";
            if (fold.AnyTraffic is { } any)
            {
                rules.Add($"{ip} {peer} @{any.Name} {verdict} comment {origins}");
            }
            if (fold.Ports is { } ports)
            {
                rules.Add($"{ip} {peer} . meta l4proto . th dport @{ports.Name} {verdict} comment {origins}");
            }
        }
        string isolated = "isolated by " + string.Join(", ", chain.IsolatedBy);
        if (log is not null)
        {
            // A rule of its own, without a verdict: past the limit it does not match, and the
            // packet goes on to the drop below (in one rule, it would fall off the chain: accepted).
            rules.Add($"limit name \"{DropLog.LimitName}\" log group {log.Group} prefix {Quote(chain.Name)}");
        }
        rules.Add("counter name " + chain.Name + " drop comment " + Quote(isolated));
        return [.. rules];
    }

    public static string MapName(FlowDirection direction, AddressFamily family) =>
        (direction == FlowDirection.Egress ? "egress" : "ingress") + (family == AddressFamily.InterNetwork ? "4" : "6");

    /// <summary>A verdict map's elements, by address: the local pod address and the chain it jumps to.</summary>
    public static SortedDictionary<UInt128, (IPAddress Address, string Chain)> MapElements(EnforcementPlan plan, FlowDirection direction, AddressFamily family)
    {
        var map = direction == FlowDirection.Egress ? plan.Egress : plan.Ingress;
        var elements = new SortedDictionary<UInt128, (IPAddress, string)>();
        foreach (KeyValuePair<IPAddress, PodChain> element in map)
        {
            if (element.Key.AddressFamily == family)
            {
                elements.Add(AddressInterval.ToNumber(element.Key), (element.Key, element.Value.Name));
            }
        }
        return elements;
    }

    public static string MapElement(IPAddress address, string chain) => $"{address} : jump {chain}";

    /// <summary>
    /// A comment in double quotes, cut to nft's limit (a name is never cut: it must match its
    /// declaration). Policy and pod names come from the API and our parser bounds only their
    /// length, so anything but printable ASCII, and the quote and backslash, becomes '?': no name
    /// can end the string, break the line or make nft refuse the whole transaction.
    /// </summary>
    public static string Quote(string text)
    {
        string clean = string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?';
            }
        });
        return "\"" + (Encoding.UTF8.GetByteCount(clean) > MaxComment ? clean[..Math.Min(clean.Length, MaxComment - 3)] + "..." : clean) + "\"";
    }

    private static string SetDeclaration(string name, string type, bool interval, IEnumerable<string> elements)
    {
        var s = new StringBuilder();
        s.Append("\tset ").Append(name).Append(" {\n\t\ttype ").Append(type).Append('\n');
        if (interval)
        {
            s.Append("\t\tflags interval\n");
        }
        s.Append("\t\telements = { ").AppendJoin(",\n\t\t\t", elements).Append(" }\n\t}\n");
        return s.ToString();
    }
}
