using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc.Enforcement;

/// <summary>
/// Compiles what one node enforces from a snapshot of the cluster: a pure function, no I/O. The
/// semantics are <see cref="PolicyEngine"/>'s (which policies isolate a pod, which pods a peer
/// selects); this only turns them into maps, chains and sets:
/// <list type="number">
/// <item>each local pod isolated for a direction gets a chain, and its addresses point to it
/// from that direction's map; a pod not isolated is in no map, so it is not looked at;</item>
/// <item>each rule of each isolating policy becomes one chain rule per address family: the
/// peers as an interval set (selected pods' addresses, ipBlocks minus excepts), the ports as a
/// (protocol . port) interval set; named ports resolve against the pod itself for ingress, and
/// for egress against each destination pod, as a set of (address . protocol . port);</item>
/// <item>sets are named after their content, so equal sets are one set, and a chain keeps one
/// rule per distinct match, so many policies allowing the same thing cost one rule.</item>
/// </list>
/// </summary>
public sealed class EnforcementCompiler
{
    private readonly PolicyEngine _engine;
    private readonly Dictionary<string, AddressSet> _addressSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PortSet> _portSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EndpointSet> _endpointSets = new(StringComparer.Ordinal);

    // A rule's peers and egress named ports do not depend on the pod it isolates: computed once
    // per rule, not once for each pod the rule's policy selects.
    private readonly Dictionary<(string Policy, FlowDirection Direction, int Rule), AddressSet[]> _peersByRule = [];
    private readonly Dictionary<(string Policy, FlowDirection Direction, int Rule), EndpointSet[]> _endpointsByRule = [];

    private EnforcementCompiler(PolicyEngine engine) => _engine = engine;

    public static EnforcementPlan Compile(IEnumerable<ClusterNamespace> namespaces, IEnumerable<Pod> pods, IEnumerable<NetworkPolicy> policies, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        var compiler = new EnforcementCompiler(new PolicyEngine(namespaces, pods, policies));
        return compiler.Compile(nodeName);
    }

    private EnforcementPlan Compile(string nodeName)
    {
        var chains = ImmutableSortedDictionary.CreateBuilder<string, PodChain>(StringComparer.Ordinal);
        var egress = ImmutableDictionary.CreateBuilder<IPAddress, PodChain>();
        var ingress = ImmutableDictionary.CreateBuilder<IPAddress, PodChain>();
        // The addresses each local pod is seen by (a shared address belongs to one pod, as in the engine).
        foreach (IGrouping<Pod, IPAddress> local in _engine.PodsByAddress
            .Where(p => string.Equals(p.Value.NodeName, nodeName, StringComparison.Ordinal))
            .GroupBy(p => p.Value, p => p.Key))
        {
            foreach (FlowDirection direction in (ReadOnlySpan<FlowDirection>)[FlowDirection.Egress, FlowDirection.Ingress])
            {
                if (ChainFor(local.Key, direction) is not PodChain chain)
                {
                    continue;
                }
                chains[chain.Name] = chain;
                foreach (IPAddress address in local)
                {
                    (direction == FlowDirection.Egress ? egress : ingress)[address] = chain;
                }
            }
        }
        return new EnforcementPlan(nodeName, chains.ToImmutable(), egress.ToImmutable(), ingress.ToImmutable(),
            [.. _addressSets.Values.OrderBy(s => s.Name, StringComparer.Ordinal)],
            [.. _portSets.Values.OrderBy(s => s.Name, StringComparer.Ordinal)],
            [.. _endpointSets.Values.OrderBy(s => s.Name, StringComparer.Ordinal)]);
    }

    private PodChain? ChainFor(Pod pod, FlowDirection direction)
    {
        ImmutableArray<NetworkPolicy> isolating = _engine.IsolatingPolicies(pod, direction);
        if (isolating.IsEmpty)
        {
            return null;
        }
        var rules = new List<ChainRule>();
        var seen = new HashSet<(AddressFamily?, string?, string?, string?)>();
        foreach (NetworkPolicy policy in isolating)
        {
            ImmutableArray<PolicyRule> policyRules = policy.Rules(direction);
            for (int r = 0; r < policyRules.Length; r++)
            {
                string origin = $"{policy.Key} {(direction == FlowDirection.Egress ? "egress" : "ingress")}[{r}]";
                rules.AddRange(Compile(policy, r, direction, pod, origin).Where(rule => seen.Add(rule.MatchKey)));
            }
        }
        return new PodChain(EnforcementNames.Chain(direction, pod), direction, pod, [.. isolating.Select(p => p.Key)], [.. rules]);
    }

    private IEnumerable<ChainRule> Compile(NetworkPolicy policy, int index, FlowDirection direction, Pod pod, string origin)
    {
        PolicyRule rule = policy.Rules(direction)[index];
        var key = (policy.Key, direction, index);
        var numbered = new List<PortInterval>();
        var named = new List<PolicyPort>();
        foreach (PolicyPort port in rule.Ports)
        {
            if (port.Name is null)
            {
                numbered.Add(port.Number is int first
                    ? new PortInterval(port.Protocol, first, port.EndPort ?? first)
                    : new PortInterval(port.Protocol, PortInterval.AnyFirst, PortInterval.AnyLast));
            }
            else if (direction == FlowDirection.Ingress)
            {
                // The destination is the pod itself: its declared ports are known now.
                numbered.AddRange(pod.Ports.Where(c => Declares(c, port)).Select(c => new PortInterval(c.Protocol, c.Number, c.Number)));
            }
            else
            {
                named.Add(port);
            }
        }
        if (rule.Ports.IsEmpty || numbered.Count > 0)
        {
            PortSet? ports = rule.Ports.IsEmpty ? null : Intern(_portSets, PortSet.Of(numbered));
            if (rule.Peers.IsEmpty)
            {
                yield return new ChainRule(null, null, ports, null, origin);
            }
            else
            {
                if (!_peersByRule.TryGetValue(key, out AddressSet[]? peers))
                {
                    peers = [.. PeerIntervals(policy, rule).GroupBy(i => i.Family).OrderBy(g => g.Key)
                        .Select(family => Intern(_addressSets, AddressSet.Of(family.Key, family)))];
                    _peersByRule.Add(key, peers);
                }
                foreach (AddressSet family in peers)
                {
                    yield return new ChainRule(family.Family, family, ports, null, origin);
                }
            }
        }
        if (named.Count > 0)
        {
            if (!_endpointsByRule.TryGetValue(key, out EndpointSet[]? endpoints))
            {
                endpoints = [.. NamedEndpoints(policy, rule, named).GroupBy(e => e.Address.AddressFamily).OrderBy(g => g.Key)
                    .Select(family => Intern(_endpointSets, EndpointSet.Of(family.Key, family)))];
                _endpointsByRule.Add(key, endpoints);
            }
            foreach (EndpointSet family in endpoints)
            {
                yield return new ChainRule(family.Family, null, null, family, origin);
            }
        }
    }

    /// <summary>The addresses a rule's peers allow: the selected pods' and the ipBlocks' minus their excepts.</summary>
    private IEnumerable<AddressInterval> PeerIntervals(NetworkPolicy policy, PolicyRule rule)
    {
        foreach (PolicyPeer peer in rule.Peers)
        {
            if (peer.IpBlock is IpBlock block)
            {
                IEnumerable<AddressInterval> left = [AddressInterval.Of(block.Cidr)];
                foreach (IPNetwork except in block.Except)
                {
                    AddressInterval hole = AddressInterval.Of(except);
                    left = [.. left.SelectMany(i => AddressInterval.Subtract(i, hole))];
                }
                foreach (AddressInterval interval in left)
                {
                    yield return interval;
                }
                continue;
            }
            foreach ((IPAddress address, Pod candidate) in _engine.PodsByAddress)
            {
                if (_engine.PeerMatches(policy, peer, new FlowEndpoint(address, candidate)))
                {
                    yield return AddressInterval.Of(address);
                }
            }
        }
    }

    /// <summary>Each destination pod address the rule's peers allow, with each port it declares under one of the names.</summary>
    private IEnumerable<PortEndpoint> NamedEndpoints(NetworkPolicy policy, PolicyRule rule, List<PolicyPort> named)
    {
        foreach ((IPAddress address, Pod destination) in _engine.PodsByAddress)
        {
            var endpoint = new FlowEndpoint(address, destination);
            if (!rule.Peers.IsEmpty && !rule.Peers.Any(peer => _engine.PeerMatches(policy, peer, endpoint)))
            {
                continue;
            }
            foreach (PolicyPort port in named)
            {
                foreach (ContainerPort declared in destination.Ports.Where(c => Declares(c, port)))
                {
                    yield return new PortEndpoint(address, declared.Protocol, declared.Number);
                }
            }
        }
    }

    /// <summary>The named-port rule of <see cref="PolicyPort.Matches"/>: same name, same protocol.</summary>
    private static bool Declares(ContainerPort declared, PolicyPort port) =>
        declared.Protocol == port.Protocol && string.Equals(declared.Name, port.Name, StringComparison.Ordinal);

    private static T Intern<T>(Dictionary<string, T> sets, T set) where T : class
    {
        string name = set switch
        {
            AddressSet a => a.Name,
            PortSet p => p.Name,
            EndpointSet e => e.Name,
            _ => throw new InvalidOperationException($"not a set: {set}"),
        };
        if (sets.TryGetValue(name, out T? existing))
        {
            return existing;
        }
        sets.Add(name, set);
        return set;
    }
}
