using System.Collections.Immutable;

namespace Weave.Npc.Enforcement;

/// <summary>A named interval set of (protocol . port): the ports one rule allows. Named after its content.</summary>
public sealed record PortSet(string Name, ImmutableArray<PortInterval> Intervals)
{
    public const string NftType = "inet_proto . inet_service";

    public bool Contains(PortProtocol protocol, int port)
    {
        foreach (PortInterval interval in Intervals)
        {
            if (interval.Contains(protocol, port))
            {
                return true;
            }
        }
        return false;
    }

    internal static PortSet Of(IEnumerable<PortInterval> intervals)
    {
        ImmutableArray<PortInterval> normalized = [.. PortInterval.Normalize(intervals)];
        return new PortSet(EnforcementNames.ByContent("p-", normalized), normalized);
    }
}
