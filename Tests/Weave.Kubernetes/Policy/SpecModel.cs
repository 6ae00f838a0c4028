using System.Net;
using System.Numerics;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// The suite's own, deliberately naive reading of the NetworkPolicy specification (the Kubernetes
/// documentation's sentences, one after the other, with no index): it decides each probe from
/// the <see cref="ClusterState"/> alone. It shares no code with Weave.Npc, so the controller is
/// checked against an independent model, as the upstream e2e tests check plugins against theirs.
/// </summary>
internal static class SpecModel
{
    /// <summary>A connection is allowed when the source's egress and the target's ingress both allow it.</summary>
    public static bool Allows(ClusterState state, ProbeCase probe)
    {
        bool egress = DirectionAllows(state, probe.Source, Direction.Egress, peer: probe.Target.Pod, probe.Target.Address, probe);
        bool ingress = probe.Target.Pod is not { } target
            || DirectionAllows(state, target, Direction.Ingress, peer: probe.Source, probe.Source.Address, probe);
        return egress && ingress;
    }

    /// <summary>
    /// "A pod is isolated for a direction if a policy that selects it has that direction in its
    /// policyTypes"; an isolated pod admits only what some rule of those policies allows
    /// (policies are additive); a pod no such policy selects allows everything.
    /// </summary>
    private static bool DirectionAllows(ClusterState state, ClusterPod pod, Direction direction, ClusterPod? peer, IPAddress peerAddress, ProbeCase probe)
    {
        bool isolated = false;
        foreach (NetworkPolicy policy in state.Policies)
        {
            if (policy.Namespace != pod.Namespace || !Matches(policy.PodSelector, pod.Labels) || !TypesOf(policy).Contains(direction))
            {
                continue;
            }
            isolated = true;
            IReadOnlyList<Rule> rules = direction == Direction.Ingress ? policy.Ingress : policy.Egress;
            foreach (Rule rule in rules)
            {
                ClusterPod? destination = direction == Direction.Ingress ? pod : peer;
                if (AnyPeerMatches(state, policy, rule, peer, peerAddress) && AnyPortMatches(rule, destination, probe))
                {
                    return true;
                }
            }
        }
        return !isolated;
    }

    /// <summary>policyTypes as written; when left out, Ingress, plus Egress if there are egress rules.</summary>
    private static IReadOnlyList<Direction> TypesOf(NetworkPolicy policy) =>
        policy.Types.Count > 0 ? policy.Types
        : policy.Egress.Count > 0 ? [Direction.Ingress, Direction.Egress]
        : [Direction.Ingress];

    /// <summary>"If this field is empty or missing, this rule matches all sources/destinations."</summary>
    private static bool AnyPeerMatches(ClusterState state, NetworkPolicy policy, Rule rule, ClusterPod? peer, IPAddress peerAddress)
    {
        if (rule.Peers.Count == 0)
        {
            return true;
        }
        foreach (Peer candidate in rule.Peers)
        {
            if (candidate.Block is { } block)
            {
                if (InCidr(peerAddress, block.Cidr) && !block.Except.Any(e => InCidr(peerAddress, e)))
                {
                    return true;
                }
                continue;
            }
            if (peer is null)
            {
                continue; // selectors select pods only
            }
            // podSelector alone: pods of the policy's namespace; namespaceSelector alone: every pod
            // of the namespaces it selects; both: pods that match it in namespaces that match.
            bool namespaceOk = candidate.Namespaces is { } namespaces
                ? Matches(namespaces, state.NamespaceLabels(peer.Namespace))
                : peer.Namespace == policy.Namespace;
            bool podOk = candidate.Pods is not { } pods || Matches(pods, peer.Labels);
            if (namespaceOk && podOk)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"If this field is empty or missing, this rule matches all ports"; a named port is looked up in the destination pod's container ports.</summary>
    private static bool AnyPortMatches(Rule rule, ClusterPod? destination, ProbeCase probe)
    {
        if (rule.Ports.Count == 0)
        {
            return true;
        }
        foreach (PolicyPort port in rule.Ports)
        {
            Protocol protocol = port.Protocol ?? Protocol.Tcp;
            if (protocol != probe.Protocol)
            {
                continue;
            }
            if (port.Name is { } name)
            {
                if (destination is not null && destination.Ports.Any(p => p.Name == name && p.Protocol == protocol && p.Number == probe.Port))
                {
                    return true;
                }
                continue;
            }
            if (port.Number is not { } number || number == probe.Port)
            {
                return true;
            }
        }
        return false;
    }

    private static bool Matches(Selector selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach ((string key, string value) in selector.MatchLabels)
        {
            if (!labels.TryGetValue(key, out string? actual) || actual != value)
            {
                return false;
            }
        }
        foreach (Requirement requirement in selector.Expressions)
        {
            bool has = labels.TryGetValue(requirement.Key, out string? actual);
            bool holds = requirement.Operator switch
            {
                "In" => has && requirement.Values.Contains(actual),
                "NotIn" => !has || !requirement.Values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => throw new InvalidOperationException($"the model does not know operator {requirement.Operator}"),
            };
            if (!holds)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether an IPv4 address is in <c>a.b.c.d/n</c>, bit by bit.</summary>
    private static bool InCidr(IPAddress address, string cidr)
    {
        string[] parts = cidr.Split('/');
        byte[] network = IPAddress.Parse(parts[0]).GetAddressBytes();
        byte[] candidate = address.GetAddressBytes();
        if (network.Length != candidate.Length)
        {
            return false;
        }
        int prefix = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var a = new BigInteger(candidate, isUnsigned: true, isBigEndian: true);
        var n = new BigInteger(network, isUnsigned: true, isBigEndian: true);
        int shift = (candidate.Length * 8) - prefix;
        return a >> shift == n >> shift;
    }
}
