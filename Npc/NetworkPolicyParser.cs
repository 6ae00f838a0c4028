using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using Weave.Npc.Api;

namespace Weave.Npc;

/// <summary>
/// A networking.k8s.io/v1 NetworkPolicy from the API's JSON. Never throws: an invalid policy is
/// refused with ONE reason naming it (namespace/name) and the field, so the controller can skip it
/// with one log line while the others keep working. Refused: a selector operator that is not In,
/// NotIn, Exists or DoesNotExist (or values that do not fit it), a CIDR that does not parse, an
/// except that is not a strict subset of its cidr, a port out of 1-65535, an endPort below its
/// port or beside a named or absent port, an unknown protocol or policy type, a peer with nothing
/// or with an ipBlock beside a selector, and anything over <see cref="ParseLimits"/>.
/// </summary>
public static partial class NetworkPolicyParser
{
    private const string Kind = "NetworkPolicy";

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.NetworkPolicyJson, Kind, TryConvert, out policy, out reason);

    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.NetworkPolicyJson, Kind, TryConvert, out policy, out reason);

    private static bool TryConvert(NetworkPolicyJson dto, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason)
    {
        policy = null;
        ObjectMetaJson? meta = dto.Metadata;
        NetworkPolicySpecJson spec = dto.Spec ?? new NetworkPolicySpecJson();
        if (!FieldParsing.TryNamespacedName(meta, out string? ns, out string? name, out string problem)
            || !TrySelector(spec.PodSelector, "spec.podSelector", out LabelSelector? podSelector, out problem)
            || !TryTypes(spec.PolicyTypes, out PolicyTypes types, out problem)
            || !FieldParsing.TryList(spec.Ingress, "spec.ingress", ParseLimits.MaxRulesPerDirection, "rules", TryIngressRule, out ImmutableArray<PolicyRule> ingress, out problem)
            || !FieldParsing.TryList(spec.Egress, "spec.egress", ParseLimits.MaxRulesPerDirection, "rules", TryEgressRule, out ImmutableArray<PolicyRule> egress, out problem))
        {
            reason = $"{Kind} {ObjectJson.Name(meta?.Namespace, meta?.Name, namespaced: true)}: {problem}";
            return false;
        }
        policy = new NetworkPolicy(ns, name, podSelector ?? LabelSelector.Everything, types, ingress, egress);
        reason = "";
        return true;
    }

    /// <summary>Absent or empty is <see cref="PolicyTypes.None"/>, which <see cref="NetworkPolicy.Types"/> defaults.</summary>
    private static bool TryTypes(List<string>? json, out PolicyTypes types, out string problem)
    {
        types = PolicyTypes.None;
        problem = "";
        if (json is { Count: > 2 })
        {
            problem = $"spec.policyTypes: {json.Count} entries, at most Ingress and Egress";
            return false;
        }
        for (int i = 0; i < (json?.Count ?? 0); i++)
        {
            switch (json![i])
            {
                case "Ingress":
                    types |= PolicyTypes.Ingress;
                    break;
                case "Egress":
                    types |= PolicyTypes.Egress;
                    break;
                default:
                    problem = $"spec.policyTypes[{i}]: unknown type {ObjectJson.Quote(json[i] ?? "null")} (Ingress or Egress)";
                    return false;
            }
        }
        return true;
    }

    private static bool TryIngressRule(IngressRuleJson? json, string field, [NotNullWhen(true)] out PolicyRule? rule, out string problem) =>
        TryRule(json?.From, json?.Ports, field, "from", out rule, out problem);

    private static bool TryEgressRule(EgressRuleJson? json, string field, [NotNullWhen(true)] out PolicyRule? rule, out string problem) =>
        TryRule(json?.To, json?.Ports, field, "to", out rule, out problem);

    private static bool TryRule(List<PeerJson>? peers, List<PortJson>? ports, string field, string peersName, [NotNullWhen(true)] out PolicyRule? rule, out string problem)
    {
        rule = null;
        if (!FieldParsing.TryList(peers, $"{field}.{peersName}", ParseLimits.MaxPeersPerRule, "peers", TryPeer, out ImmutableArray<PolicyPeer> parsedPeers, out problem)
            || !FieldParsing.TryList(ports, $"{field}.ports", ParseLimits.MaxPortsPerRule, "ports", TryPort, out ImmutableArray<PolicyPort> parsedPorts, out problem))
        {
            return false;
        }
        rule = new PolicyRule(parsedPeers, parsedPorts);
        return true;
    }

    private static bool TryPeer(PeerJson? json, string field, [NotNullWhen(true)] out PolicyPeer? peer, out string problem)
    {
        peer = null;
        if (json is null || (json.PodSelector is null && json.NamespaceSelector is null && json.IpBlock is null))
        {
            problem = $"{field}: a peer needs a podSelector, a namespaceSelector or an ipBlock";
            return false;
        }
        if (json.IpBlock is not null)
        {
            if (json.PodSelector is not null || json.NamespaceSelector is not null)
            {
                problem = $"{field}: an ipBlock cannot be combined with a podSelector or namespaceSelector";
                return false;
            }
            if (!TryIpBlock(json.IpBlock, field + ".ipBlock", out IpBlock? block, out problem))
            {
                return false;
            }
            peer = PolicyPeer.Addresses(block);
            return true;
        }
        if (!TrySelector(json.PodSelector, field + ".podSelector", out LabelSelector? pods, out problem)
            || !TrySelector(json.NamespaceSelector, field + ".namespaceSelector", out LabelSelector? namespaces, out problem))
        {
            return false;
        }
        peer = PolicyPeer.Pods(pods, namespaces);
        return true;
    }

    /// <summary>Each except must lie strictly inside the cidr (the API's own rule), so the block is never empty by accident.</summary>
    private static bool TryIpBlock(IpBlockJson json, string field, [NotNullWhen(true)] out IpBlock? block, out string problem)
    {
        block = null;
        if (!FieldParsing.TryCidr(json.Cidr, field + ".cidr", out IPNetwork cidr, out problem))
        {
            return false;
        }
        FieldParsing.TryParseItem<string, IPNetwork?> tryExcept = (string text, string at, [NotNullWhen(true)] out IPNetwork? except, out string problem) =>
        {
            except = null;
            if (!FieldParsing.TryCidr(text, at, out IPNetwork network, out problem))
            {
                return false;
            }
            if (network.PrefixLength <= cidr.PrefixLength || !cidr.Contains(network.BaseAddress))
            {
                problem = $"{at}: {network} is not inside cidr {cidr}";
                return false;
            }
            except = network;
            return true;
        };
        if (!FieldParsing.TryList(json.Except, field + ".except", ParseLimits.MaxExceptsPerIpBlock, "entries", tryExcept, out ImmutableArray<IPNetwork?> excepts, out problem))
        {
            return false;
        }
        block = new IpBlock(cidr, [.. excepts.Select(e => e!.Value)]);
        return true;
    }
}
