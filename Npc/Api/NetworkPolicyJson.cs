using System.Text.Json;

namespace Weave.Npc.Api;

/// <summary>A networking.k8s.io/v1 NetworkPolicy as the API server sends it (status and annotations ignored).</summary>
internal sealed record NetworkPolicyJson
{
    public ObjectMetaJson? Metadata { get; init; }
    public NetworkPolicySpecJson? Spec { get; init; }
}

internal sealed record NetworkPolicySpecJson
{
    public LabelSelectorJson? PodSelector { get; init; }
    public List<string>? PolicyTypes { get; init; }
    public List<IngressRuleJson>? Ingress { get; init; }
    public List<EgressRuleJson>? Egress { get; init; }
}

internal sealed record IngressRuleJson
{
    public List<PeerJson>? From { get; init; }
    public List<PortJson>? Ports { get; init; }
}

internal sealed record EgressRuleJson
{
    public List<PeerJson>? To { get; init; }
    public List<PortJson>? Ports { get; init; }
}

internal sealed record PeerJson
{
    public LabelSelectorJson? PodSelector { get; init; }
    public LabelSelectorJson? NamespaceSelector { get; init; }
    public IpBlockJson? IpBlock { get; init; }
}

internal sealed record IpBlockJson
{
    public string? Cidr { get; init; }
    public List<string>? Except { get; init; }
}

/// <summary><see cref="Port"/> is an IntOrString: a number or a name, told apart by the parser.</summary>
internal sealed record PortJson
{
    public string? Protocol { get; init; }
    public JsonElement Port { get; init; }
    public long? EndPort { get; init; }
}

internal sealed record LabelSelectorJson
{
    public Dictionary<string, string>? MatchLabels { get; init; }
    public List<RequirementJson>? MatchExpressions { get; init; }
}

internal sealed record RequirementJson
{
    public string? Key { get; init; }
    public string? Operator { get; init; }
    public List<string>? Values { get; init; }
}
