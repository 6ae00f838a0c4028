using System.Net;
using Weave.Npc;

namespace Weave.Tests.Npc;

/// <summary>
/// The Kubernetes documentation's NetworkPolicy rules transcribed as directly as possible, to
/// check <see cref="PolicyEngine"/> against: no index, nothing shared with the engine but the
/// model's data. Each rule it follows is paraphrased from the documentation and the API reference
/// beside its code.
/// </summary>
internal sealed class ReferencePolicyModel(ClusterNamespace[] namespaces, NetworkPolicy[] policies)
{
    /// <summary>For a connection from a source pod to a destination pod to be allowed, both the egress policy on the source pod and the ingress policy on the destination pod need to allow the connection.</summary>
    public bool Allowed(Flow flow) => EgressAllowed(flow) && IngressAllowed(flow);

    public bool EgressAllowed(Flow flow) => DirectionAllowed(flow.Source, flow.Destination, flow, egress: true);

    public bool IngressAllowed(Flow flow) => DirectionAllowed(flow.Destination, flow.Source, flow, egress: false);

    /// <summary>The policies that isolate the pod at <paramref name="end"/> in one direction, by name.</summary>
    public List<string> IsolatingPolicies(FlowEndpoint end, bool egress)
    {
        var names = new List<string>();
        // hostNetwork pods are not selected by any policy; addresses are not pods at all.
        if (end.Pod is null || end.Pod.HostNetwork)
        {
            return names;
        }
        foreach (NetworkPolicy policy in policies)
        {
            // A pod is isolated for egress/ingress if there is any NetworkPolicy that both selects
            // the pod (in its namespace, by spec.podSelector) and has Egress/Ingress in its policyTypes.
            if (policy.Namespace == end.Pod.Namespace && SelectorMatches(policy.PodSelector, end.Pod.Labels) && HasType(policy, egress))
            {
                names.Add(policy.Key);
            }
        }
        return names;
    }

    private bool DirectionAllowed(FlowEndpoint self, FlowEndpoint peer, Flow flow, bool egress)
    {
        List<string> isolating = IsolatingPolicies(self, egress);
        // By default, a pod is non-isolated: all is allowed.
        if (isolating.Count == 0)
        {
            return true;
        }
        // The only allowed connections are those allowed by the union of the rules of the policies that apply.
        foreach (NetworkPolicy policy in policies)
        {
            if (!isolating.Contains(policy.Key))
            {
                continue;
            }
            foreach (PolicyRule rule in egress ? policy.Egress : policy.Ingress)
            {
                // If this field is empty or missing, this rule matches all sources/destinations.
                bool peerOk = rule.Peers.Length == 0 || rule.Peers.Any(p => PeerMatches(policy, p, peer));
                // If this field is empty or missing, this rule matches all ports.
                bool portOk = rule.Ports.Length == 0 || rule.Ports.Any(p => PortMatches(p, flow));
                if (peerOk && portOk)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>If no policyTypes are specified on a NetworkPolicy then by default Ingress will always be set and Egress will be set if the NetworkPolicy has any egress rules.</summary>
    private static bool HasType(NetworkPolicy policy, bool egress)
    {
        if (policy.DeclaredTypes == PolicyTypes.None)
        {
            return egress ? policy.Egress.Length > 0 : true;
        }
        return egress ? policy.DeclaredTypes.HasFlag(PolicyTypes.Egress) : policy.DeclaredTypes.HasFlag(PolicyTypes.Ingress);
    }

    private bool PeerMatches(NetworkPolicy policy, PolicyPeer peer, FlowEndpoint other)
    {
        // ipBlock: selects particular IP CIDR ranges; we apply it to pod addresses as well.
        if (peer.IpBlock is not null)
        {
            return InCidr(other.Address, peer.IpBlock.Cidr) && !peer.IpBlock.Except.Any(e => InCidr(other.Address, e));
        }
        // Selectors see only pods of the pod network.
        if (other.Pod is null || other.Pod.HostNetwork)
        {
            return false;
        }
        if (peer.NamespaceSelector is null)
        {
            // podSelector: selects particular Pods in the same namespace as the NetworkPolicy.
            return other.Pod.Namespace == policy.Namespace && SelectorMatches(peer.PodSelector!, other.Pod.Labels);
        }
        ClusterNamespace? ns = namespaces.FirstOrDefault(n => n.Name == other.Pod.Namespace);
        bool namespaceOk = SelectorMatches(peer.NamespaceSelector, ns?.Labels ?? Labels.None);
        // namespaceSelector: selects particular namespaces for which all Pods should be allowed;
        // with a podSelector too, selects particular Pods within particular namespaces.
        return peer.PodSelector is null ? namespaceOk : namespaceOk && SelectorMatches(peer.PodSelector, other.Pod.Labels);
    }

    private static bool PortMatches(PolicyPort port, Flow flow)
    {
        if (port.Protocol != flow.Protocol)
        {
            return false;
        }
        if (port.Name is not null)
        {
            // A named port is one the destination pod's containers declare with that name and protocol.
            Pod? destination = flow.Destination.Pod;
            return destination is not null && !destination.HostNetwork
                && destination.Ports.Any(p => p.Name == port.Name && p.Protocol == flow.Protocol && p.Number == flow.Port);
        }
        if (port.Number is null)
        {
            // If this field is not provided, this matches all port names and numbers.
            return true;
        }
        // endPort indicates that the range of ports from port to endPort, inclusive, should be allowed.
        return port.EndPort is null ? flow.Port == port.Number : flow.Port >= port.Number && flow.Port <= port.EndPort;
    }

    /// <summary>An empty label selector matches all objects; requirements are ANDed.</summary>
    private static bool SelectorMatches(LabelSelector selector, System.Collections.Immutable.ImmutableSortedDictionary<string, string> labels)
    {
        foreach (KeyValuePair<string, string> pair in selector.MatchLabels)
        {
            if (!labels.Contains(pair))
            {
                return false;
            }
        }
        foreach (LabelRequirement r in selector.MatchExpressions)
        {
            bool ok = r.Operator switch
            {
                SelectorOperator.In => labels.ContainsKey(r.Key) && r.Values.Contains(labels[r.Key]),
                SelectorOperator.NotIn => !labels.ContainsKey(r.Key) || !r.Values.Contains(labels[r.Key]),
                SelectorOperator.Exists => labels.ContainsKey(r.Key),
                _ => !labels.ContainsKey(r.Key),
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Bit by bit: the address's first prefix-length bits equal the network's.</summary>
    private static bool InCidr(IPAddress address, IPNetwork network)
    {
        byte[] a = address.GetAddressBytes();
        byte[] n = network.BaseAddress.GetAddressBytes();
        if (a.Length != n.Length)
        {
            return false;
        }
        for (int bit = 0; bit < network.PrefixLength; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }
        return true;
    }
}
