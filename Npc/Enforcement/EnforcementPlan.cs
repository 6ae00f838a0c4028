using System.Collections.Immutable;
using System.Net;

namespace Weave.Npc.Enforcement;

/// <summary>
/// What one node enforces, before it is written as nft text (<see cref="NftRuleset"/>): the
/// egress and ingress maps from a local isolated pod's address to its chain, the chains, and
/// the sets they share. <see cref="Decide"/> interprets it as the kernel runs the rendered
/// table on a new flow, so that tests can hold it against <see cref="PolicyEngine"/>.
/// </summary>
public sealed record EnforcementPlan(
    string NodeName,
    ImmutableSortedDictionary<string, PodChain> Chains,
    ImmutableDictionary<IPAddress, PodChain> Egress,
    ImmutableDictionary<IPAddress, PodChain> Ingress,
    ImmutableArray<AddressSet> AddressSets,
    ImmutableArray<PortSet> PortSets,
    ImmutableArray<EndpointSet> EndpointSets)
{
    /// <summary>Whether drops are also sent to NFLOG for the controller to log (null: counted only).</summary>
    public DropLog? DropLog { get; init; }

    /// <summary>
    /// Whether the forward hook lets the first packet of a new flow through: the source's egress
    /// chain when it is a local isolated pod (a match returns, the end drops), then the
    /// destination's ingress chain when it is one (a match accepts, the end drops).
    /// </summary>
    public bool Decide(IPAddress source, IPAddress destination, PortProtocol protocol, int port)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (Egress.TryGetValue(source, out PodChain? egress) && !AnyMatches(egress, destination, destination, protocol, port))
        {
            return false;
        }
        return !Ingress.TryGetValue(destination, out PodChain? ingress) || AnyMatches(ingress, source, destination, protocol, port);
    }

    private static bool AnyMatches(PodChain chain, IPAddress peer, IPAddress destination, PortProtocol protocol, int port)
    {
        foreach (ChainRule rule in chain.Rules)
        {
            if (rule.Matches(peer, destination, protocol, port))
            {
                return true;
            }
        }
        return false;
    }
}
