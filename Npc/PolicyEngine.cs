using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Net;

namespace Weave.Npc;

/// <summary>
/// Decides and explains flows against one snapshot of the cluster's namespaces, pods and valid
/// policies. Policies are indexed by namespace, so a decision reads only the policies of the two
/// ends' namespaces. Immutable: a change in the cluster makes a new engine.
/// </summary>
public sealed class PolicyEngine
{
    private readonly FrozenDictionary<string, ClusterNamespace> _namespaces;
    private readonly FrozenDictionary<string, NetworkPolicy[]> _policiesByNamespace;
    private readonly FrozenDictionary<IPAddress, Pod> _podsByAddress;

    public PolicyEngine(IEnumerable<ClusterNamespace> namespaces, IEnumerable<Pod> pods, IEnumerable<NetworkPolicy> policies)
    {
        _namespaces = namespaces.DistinctBy(n => n.Name).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
        // By name within a namespace, so explanations name the same policy whatever the input order.
        _policiesByNamespace = policies
            .GroupBy(p => p.Namespace, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        // A hostNetwork pod's address is its node's, which is no pod's; of pods sharing an address
        // (a finished pod whose address was given again), the first by namespace/name is taken.
        var byAddress = new Dictionary<IPAddress, Pod>();
        foreach (Pod pod in pods.Where(p => !p.HostNetwork).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (IPAddress address in pod.Addresses)
            {
                byAddress.TryAdd(address, pod);
            }
        }
        _podsByAddress = byAddress.ToFrozenDictionary();
    }

    /// <summary>The endpoint at <paramref name="address"/>: the pod that has it, or an address outside the pod network.</summary>
    public FlowEndpoint Endpoint(IPAddress address) =>
        _podsByAddress.TryGetValue(address, out Pod? pod) ? new FlowEndpoint(address, pod) : FlowEndpoint.External(address);

    public bool IsAllowed(Flow flow) => Explain(flow).Allowed;

    public FlowExplanation Explain(Flow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return new FlowExplanation(flow, Check(flow, FlowDirection.Egress), Check(flow, FlowDirection.Ingress));
    }

    /// <summary>
    /// One direction: the checked pod is the source for egress and the destination for ingress; the
    /// peer is the other end. Named ports resolve against the destination pod in both.
    /// </summary>
    private DirectionVerdict Check(Flow flow, FlowDirection direction)
    {
        bool ingress = direction == FlowDirection.Ingress;
        Pod? pod = (ingress ? flow.Destination : flow.Source).PolicyPod;
        FlowEndpoint peer = ingress ? flow.Source : flow.Destination;
        if (pod is null)
        {
            return new DirectionVerdict(direction, pod, [], null);
        }
        ImmutableArray<NetworkPolicy> isolating = IsolatingPolicies(pod, direction);
        RuleMatch? allowedBy = null;
        foreach (NetworkPolicy policy in isolating)
        {
            allowedBy ??= FirstMatch(policy, direction, peer, flow.Protocol, flow.Port, flow.Destination.PolicyPod);
        }
        return new DirectionVerdict(direction, pod, isolating, allowedBy);
    }

    /// <summary>The policies of the pod's namespace that select it for <paramref name="direction"/>, by name.</summary>
    public ImmutableArray<NetworkPolicy> IsolatingPolicies(Pod pod, FlowDirection direction)
    {
        if (!_policiesByNamespace.TryGetValue(pod.Namespace, out NetworkPolicy[]? candidates))
        {
            return [];
        }
        PolicyTypes type = direction == FlowDirection.Ingress ? PolicyTypes.Ingress : PolicyTypes.Egress;
        var isolating = ImmutableArray.CreateBuilder<NetworkPolicy>();
        foreach (NetworkPolicy policy in candidates)
        {
            if ((policy.Types & type) != 0 && policy.PodSelector.Matches(pod.Labels))
            {
                isolating.Add(policy);
            }
        }
        return isolating.ToImmutable();
    }

    /// <summary>Every address policies see as a pod's, with that pod (the one <see cref="Endpoint"/> gives).</summary>
    internal IReadOnlyDictionary<IPAddress, Pod> PodsByAddress => _podsByAddress;

    private RuleMatch? FirstMatch(NetworkPolicy policy, FlowDirection direction, FlowEndpoint peer, PortProtocol protocol, int port, Pod? destination)
    {
        ImmutableArray<PolicyRule> rules = policy.Rules(direction);
        for (int r = 0; r < rules.Length; r++)
        {
            PolicyRule rule = rules[r];
            if (!TryMatchPeer(policy, rule, peer, out int? peerIndex) || !TryMatchPort(rule, protocol, port, destination, out int? portIndex))
            {
                continue;
            }
            return new RuleMatch(policy, direction, r, peerIndex, portIndex);
        }
        return null;
    }

    private bool TryMatchPeer(NetworkPolicy policy, PolicyRule rule, FlowEndpoint peer, out int? index)
    {
        index = null;
        if (rule.Peers.IsEmpty)
        {
            return true;
        }
        for (int i = 0; i < rule.Peers.Length; i++)
        {
            if (PeerMatches(policy, rule.Peers[i], peer))
            {
                index = i;
                return true;
            }
        }
        return false;
    }

    internal bool PeerMatches(NetworkPolicy policy, PolicyPeer peer, FlowEndpoint endpoint)
    {
        if (peer.IpBlock is not null)
        {
            return peer.IpBlock.Contains(endpoint.Address);
        }
        if (endpoint.PolicyPod is not Pod pod)
        {
            return false;
        }
        bool inNamespace = peer.NamespaceSelector is null
            ? string.Equals(pod.Namespace, policy.Namespace, StringComparison.Ordinal)
            : peer.NamespaceSelector.Matches(NamespaceLabels(pod.Namespace));
        return inNamespace && (peer.PodSelector?.Matches(pod.Labels) ?? true);
    }

    private static bool TryMatchPort(PolicyRule rule, PortProtocol protocol, int port, Pod? destination, out int? index)
    {
        index = null;
        if (rule.Ports.IsEmpty)
        {
            return true;
        }
        for (int i = 0; i < rule.Ports.Length; i++)
        {
            if (rule.Ports[i].Matches(protocol, port, destination))
            {
                index = i;
                return true;
            }
        }
        return false;
    }

    /// <summary>A namespace the engine was not told of has no labels (the API server always has one for a pod).</summary>
    private ImmutableSortedDictionary<string, string> NamespaceLabels(string name) =>
        _namespaces.TryGetValue(name, out ClusterNamespace? ns) ? ns.Labels : Labels.None;
}
