namespace Weave.Npc.Enforcement;

/// <summary>Ports <see cref="First"/> to <see cref="Last"/> (both included) of one protocol.</summary>
public readonly record struct PortInterval(PortProtocol Protocol, int First, int Last)
{
    public const int AnyFirst = 0;
    public const int AnyLast = 65535;

    public bool Contains(PortProtocol protocol, int port) => protocol == Protocol && port >= First && port <= Last;

    /// <summary>As nft writes an element of a <c>inet_proto . inet_service</c> interval set.</summary>
    public override string ToString() => First == Last
        ? $"{EnforcementNames.Protocol(Protocol)} . {First}"
        : $"{EnforcementNames.Protocol(Protocol)} . {First}-{Last}";

    internal static List<PortInterval> Normalize(IEnumerable<PortInterval> intervals)
    {
        var merged = new List<PortInterval>();
        foreach (PortInterval next in intervals.OrderBy(i => i.Protocol).ThenBy(i => i.First))
        {
            if (merged.Count > 0 && merged[^1] is var last && last.Protocol == next.Protocol && next.First <= last.Last + 1)
            {
                merged[^1] = last with { Last = Math.Max(last.Last, next.Last) };
            }
            else
            {
                merged.Add(next);
            }
        }
        return merged;
    }
}
