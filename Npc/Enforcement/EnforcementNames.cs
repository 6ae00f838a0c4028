using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Weave.Npc.Enforcement;

/// <summary>
/// Names in the <c>weave-npc</c> table. Sets are named after their content (a hash of their
/// elements), so identical sets are one set; a pod's chains and counters after the pod, so an
/// operator listing the ruleset or its counters reads which pod dropped what.
/// </summary>
internal static partial class EnforcementNames
{
    /// <summary>nft's own limit is 255 bytes; a longer pod name gets a hash instead.</summary>
    private const int MaxChainName = 200;

    public static string Protocol(PortProtocol protocol) => protocol switch
    {
        PortProtocol.Udp => "udp",
        PortProtocol.Sctp => "sctp",
        _ => "tcp",
    };

    public static string ByContent<T>(string prefix, IEnumerable<T> elements)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", elements)));
        return prefix + Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    /// <summary><c>eg.ns.pod</c> or <c>in.ns.pod</c>: a namespace has no dot, so the first dot after the prefix ends it.</summary>
    public static string Chain(FlowDirection direction, Pod pod)
    {
        string prefix = direction == FlowDirection.Egress ? "eg." : "in.";
        string name = $"{prefix}{pod.Namespace}.{pod.Name}";
        return name.Length <= MaxChainName && Identifier().IsMatch(pod.Namespace) && !pod.Namespace.Contains('.', StringComparison.Ordinal) && Identifier().IsMatch(pod.Name)
            ? name
            : ByContent(prefix, [pod.Namespace, pod.Name]);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]*$")]
    private static partial Regex Identifier();
}
