using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
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

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason)
    {
        policy = null;
        return ObjectJson.TryDeserialize(json, NpcJson.Default.NetworkPolicyJson, Kind, out NetworkPolicyJson? dto, out reason) && TryConvert(dto, out policy, out reason);
    }

    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason)
    {
        policy = null;
        return ObjectJson.TryDeserialize(json, NpcJson.Default.NetworkPolicyJson, Kind, out NetworkPolicyJson? dto, out reason) && TryConvert(dto, out policy, out reason);
    }

    private static bool TryConvert(NetworkPolicyJson dto, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason)
    {
        policy = null;
        ObjectMetaJson? meta = dto.Metadata;
        NetworkPolicySpecJson spec = dto.Spec ?? new NetworkPolicySpecJson();
        if (!FieldParsing.TryName(meta?.Namespace, "metadata.namespace", out string? ns, out string problem)
            || !FieldParsing.TryName(meta!.Name, "metadata.name", out string? name, out problem)
            || !TrySelector(spec.PodSelector, "spec.podSelector", out LabelSelector? podSelector, out problem)
            || !TryTypes(spec.PolicyTypes, out PolicyTypes types, out problem)
            || !TryRules(spec.Ingress, "spec.ingress", "from", r => (r?.From, r?.Ports), out ImmutableArray<PolicyRule> ingress, out problem)
            || !TryRules(spec.Egress, "spec.egress", "to", r => (r?.To, r?.Ports), out ImmutableArray<PolicyRule> egress, out problem))
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

    private static bool TryRules<TRule>(List<TRule>? json, string field, string peersName, Func<TRule?, (List<PeerJson>? Peers, List<PortJson>? Ports)> parts,
        out ImmutableArray<PolicyRule> rules, out string problem)
    {
        rules = [];
        problem = "";
        if (json is null)
        {
            return true;
        }
        if (json.Count > ParseLimits.MaxRulesPerDirection)
        {
            problem = $"{field}: {json.Count} rules, over the limit of {ParseLimits.MaxRulesPerDirection}";
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<PolicyRule>(json.Count);
        for (int r = 0; r < json.Count; r++)
        {
            (List<PeerJson>? peers, List<PortJson>? ports) = parts(json[r]);
            if (!TryPeers(peers, $"{field}[{r}].{peersName}", out ImmutableArray<PolicyPeer> parsedPeers, out problem)
                || !TryPorts(ports, $"{field}[{r}].ports", out ImmutableArray<PolicyPort> parsedPorts, out problem))
            {
                return false;
            }
            builder.Add(new PolicyRule(parsedPeers, parsedPorts));
        }
        rules = builder.MoveToImmutable();
        return true;
    }

    private static bool TryPeers(List<PeerJson>? json, string field, out ImmutableArray<PolicyPeer> peers, out string problem)
    {
        peers = [];
        problem = "";
        if (json is null)
        {
            return true;
        }
        if (json.Count > ParseLimits.MaxPeersPerRule)
        {
            problem = $"{field}: {json.Count} peers, over the limit of {ParseLimits.MaxPeersPerRule}";
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<PolicyPeer>(json.Count);
        for (int i = 0; i < json.Count; i++)
        {
            if (!TryPeer(json[i], $"{field}[{i}]", out PolicyPeer? peer, out problem))
            {
                return false;
            }
            builder.Add(peer);
        }
        peers = builder.MoveToImmutable();
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
        if (!FieldParsing.TryCidr(json.Cidr, field + ".cidr", out System.Net.IPNetwork cidr, out problem))
        {
            return false;
        }
        int count = json.Except?.Count ?? 0;
        if (count > ParseLimits.MaxExceptsPerIpBlock)
        {
            problem = $"{field}.except: {count} entries, over the limit of {ParseLimits.MaxExceptsPerIpBlock}";
            return false;
        }
        var excepts = ImmutableArray.CreateBuilder<System.Net.IPNetwork>(count);
        for (int i = 0; i < count; i++)
        {
            string at = $"{field}.except[{i}]";
            if (!FieldParsing.TryCidr(json.Except![i], at, out System.Net.IPNetwork except, out problem))
            {
                return false;
            }
            if (except.PrefixLength <= cidr.PrefixLength || !cidr.Contains(except.BaseAddress))
            {
                problem = $"{at}: {except} is not inside cidr {cidr}";
                return false;
            }
            excepts.Add(except);
        }
        block = new IpBlock(cidr, excepts.MoveToImmutable());
        return true;
    }
}
