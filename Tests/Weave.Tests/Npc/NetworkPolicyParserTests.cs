using System.Net;
using System.Text;
using System.Text.Json;
using Weave.Npc;
using Xunit;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

public sealed class NetworkPolicyParserTests
{
    private static byte[] PolicyJson(string spec, string metadata = """{"name":"p","namespace":"prod","uid":"u-1","resourceVersion":"7"}""") =>
        Encoding.UTF8.GetBytes($$"""{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{{metadata}},"spec":{{spec}}}""");

    private static NetworkPolicy Parse(string spec)
    {
        Assert.True(NetworkPolicyParser.TryParse(PolicyJson(spec), out NetworkPolicy? policy, out string reason), reason);
        Assert.Equal("", reason);
        return policy;
    }

    [Fact]
    public void TryParse_AFullPolicy_GivesTheModel()
    {
        NetworkPolicy policy = Parse("""
            {"podSelector":{"matchLabels":{"app":"db"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["a","b"]}]},
             "policyTypes":["Ingress","Egress"],
             "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"web"}}},
                                 {"namespaceSelector":{"matchExpressions":[{"key":"env","operator":"Exists"}]},"podSelector":{}},
                                 {"ipBlock":{"cidr":"192.168.0.0/16","except":["192.168.1.0/24"]}}],
                         "ports":[{"protocol":"TCP","port":5432},{"protocol":"UDP","port":"dns"},{"port":30000,"endPort":30100},{"protocol":"SCTP"}]}],
             "egress":[{}]}
            """);
        NetworkPolicy expected = Policy("prod", "p", new LabelSelector(L("app=db"), [Req("tier", SelectorOperator.NotIn, "a", "b")]),
            PolicyTypes.Ingress | PolicyTypes.Egress,
            ingress: [Rule([
                PolicyPeer.Pods(Sel("app=web"), null),
                PolicyPeer.Pods(LabelSelector.Everything, Sel(Req("env", SelectorOperator.Exists))),
                Block("192.168.0.0/16", "192.168.1.0/24")],
                PolicyPort.Numbered(PortProtocol.Tcp, 5432), PolicyPort.Named(PortProtocol.Udp, "dns"),
                PolicyPort.Numbered(PortProtocol.Tcp, 30000, 30100), PolicyPort.AllOf(PortProtocol.Sctp))],
            egress: [PolicyRule.AllowAll]);
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void TryParse_NoPolicyTypes_DefaultsToIngressPlusEgressWhenThereAreEgressRules()
    {
        Assert.Equal(PolicyTypes.Ingress, Parse("""{"podSelector":{}}""").Types);
        Assert.Equal(PolicyTypes.Ingress, Parse("""{"podSelector":{},"policyTypes":[]}""").Types);
        Assert.Equal(PolicyTypes.Ingress | PolicyTypes.Egress, Parse("""{"podSelector":{},"egress":[{}]}""").Types);
        Assert.Equal(PolicyTypes.Egress, Parse("""{"podSelector":{},"policyTypes":["Egress"],"ingress":[{}]}""").Types);
    }

    [Fact]
    public void TryParse_NoPodSelectorOrSpec_SelectsEveryPodOfTheNamespace()
    {
        Assert.True(Parse("{}").PodSelector.SelectsEverything);
        Assert.True(NetworkPolicyParser.TryParse("""{"metadata":{"name":"p","namespace":"n"}}"""u8, out NetworkPolicy? policy, out _));
        Assert.True(policy.PodSelector.SelectsEverything);
    }

    [Fact]
    public void TryParse_EmptyAndAbsentPeerSelectors_Differ()
    {
        PolicyPeer peer = Parse("""{"ingress":[{"from":[{"namespaceSelector":{}}]}]}""").Ingress[0].Peers[0];
        Assert.Null(peer.PodSelector);
        Assert.True(peer.NamespaceSelector!.SelectsEverything);
    }

    [Fact]
    public void TryParse_EmptyFromAndPorts_AreRulesThatAllowAll()
    {
        Assert.Equal(PolicyRule.AllowAll, Parse("""{"ingress":[{"from":[],"ports":[]}]}""").Ingress[0]);
    }

    [Fact]
    public void TryParse_ACidrWithHostBits_MeansItsNetwork()
    {
        IpBlock block = Parse("""{"ingress":[{"from":[{"ipBlock":{"cidr":"10.1.2.3/8"}}]}]}""").Ingress[0].Peers[0].IpBlock!;
        Assert.Equal(IPNetwork.Parse("10.0.0.0/8"), block.Cidr);
    }

    [Fact]
    public void TryParse_AnIPv6Block_Parses()
    {
        IpBlock block = Parse("""{"egress":[{"to":[{"ipBlock":{"cidr":"2001:db8::/32","except":["2001:db8:1::/48"]}}]}]}""").Egress[0].Peers[0].IpBlock!;
        Assert.True(block.Contains(IPAddress.Parse("2001:db8:2::1")));
        Assert.False(block.Contains(IPAddress.Parse("2001:db8:1::1")));
    }

    [Fact]
    public void TryParse_TheObjectOfAWatchEvent_Parses()
    {
        using JsonDocument watch = JsonDocument.Parse($$"""{"type":"ADDED","object":{{Encoding.UTF8.GetString(PolicyJson("{}"))}}}""");
        Assert.True(NetworkPolicyParser.TryParse(watch.RootElement.GetProperty("object"), out NetworkPolicy? policy, out string reason), reason);
        Assert.Equal("prod/p", policy.Key);
    }

    [Theory]
    [InlineData("""{"podSelector":{"matchExpressions":[{"key":"a","operator":"Among","values":["x"]}]}}""",
        "spec.podSelector.matchExpressions[0].operator: unknown operator Among (In, NotIn, Exists or DoesNotExist)")]
    [InlineData("""{"ingress":[{"from":[{"podSelector":{"matchExpressions":[{"key":"a","operator":"In"}]}}]}]}""",
        "spec.ingress[0].from[0].podSelector.matchExpressions[0].values: In needs values")]
    [InlineData("""{"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}}]}]}""",
        "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: Exists takes no values")]
    [InlineData("""{"podSelector":{"matchExpressions":[{"operator":"Exists"}]}}""",
        "spec.podSelector.matchExpressions[0].key: an empty label key")]
    [InlineData("""{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]}]}""",
        "spec.ingress[0].from[0].ipBlock.cidr: 10.0.0.0/33 is not a CIDR")]
    [InlineData("""{"egress":[{"to":[{"ipBlock":{"cidr":"banana"}}]}]}""",
        "spec.egress[0].to[0].ipBlock.cidr: banana is not a CIDR")]
    [InlineData("""{"egress":[{"to":[{"ipBlock":{"cidr":"10/8"}}]}]}""",
        "spec.egress[0].to[0].ipBlock.cidr: 10/8 is not a CIDR")]
    [InlineData("""{"egress":[{"to":[{"ipBlock":{}}]}]}""",
        "spec.egress[0].to[0].ipBlock.cidr: missing")]
    [InlineData("""{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/16","except":["10.1.0.0/24"]}}]}]}""",
        "spec.ingress[0].from[0].ipBlock.except[0]: 10.1.0.0/24 is not inside cidr 10.0.0.0/16")]
    [InlineData("""{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/16","except":["10.0.0.0/16"]}}]}]}""",
        "spec.ingress[0].from[0].ipBlock.except[0]: 10.0.0.0/16 is not inside cidr 10.0.0.0/16")]
    [InlineData("""{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["::/64"]}}]}]}""",
        "spec.ingress[0].from[0].ipBlock.except[0]: ::/64 is not inside cidr 10.0.0.0/8")]
    [InlineData("""{"ingress":[{"ports":[{"port":0}]}]}""",
        "spec.ingress[0].ports[0].port: port 0 out of range 1-65535")]
    [InlineData("""{"ingress":[{"ports":[{"port":65536}]}]}""",
        "spec.ingress[0].ports[0].port: port 65536 out of range 1-65535")]
    [InlineData("""{"ingress":[{"ports":[{"port":80.5}]}]}""",
        "spec.ingress[0].ports[0].port: a Number, not a port number or name")]
    [InlineData("""{"ingress":[{"ports":[{"port":true}]}]}""",
        "spec.ingress[0].ports[0].port: a True, not a port number or name")]
    [InlineData("""{"ingress":[{"ports":[{"port":"HTTP"}]}]}""",
        "spec.ingress[0].ports[0].port: HTTP is not a port name (an IANA service name)")]
    [InlineData("""{"ingress":[{"ports":[{"port":"80"}]}]}""",
        "spec.ingress[0].ports[0].port: 80 is not a port name (an IANA service name)")]
    [InlineData("""{"egress":[{"ports":[{"port":8080,"endPort":8000}]}]}""",
        "spec.egress[0].ports[0].endPort: 8000 is below port 8080")]
    [InlineData("""{"egress":[{"ports":[{"port":"http","endPort":8000}]}]}""",
        "spec.egress[0].ports[0].endPort: needs a numbered port (port http is named)")]
    [InlineData("""{"egress":[{"ports":[{"endPort":8000}]}]}""",
        "spec.egress[0].ports[0].endPort: needs a numbered port (no port given)")]
    [InlineData("""{"egress":[{"ports":[{"port":8000,"endPort":70000}]}]}""",
        "spec.egress[0].ports[0].endPort: port 70000 out of range 1-65535")]
    [InlineData("""{"egress":[{"ports":[{"protocol":"ICMP","port":1}]}]}""",
        "spec.egress[0].ports[0].protocol: unknown protocol ICMP (TCP, UDP or SCTP)")]
    [InlineData("""{"egress":[{"ports":[{"protocol":"tcp","port":1}]}]}""",
        "spec.egress[0].ports[0].protocol: unknown protocol tcp (TCP, UDP or SCTP)")]
    [InlineData("""{"policyTypes":["Ingress","Sideways"]}""",
        "spec.policyTypes[1]: unknown type Sideways (Ingress or Egress)")]
    [InlineData("""{"policyTypes":["Ingress","Egress","Ingress"]}""",
        "spec.policyTypes: 3 entries, at most Ingress and Egress")]
    [InlineData("""{"ingress":[{"from":[{}]}]}""",
        "spec.ingress[0].from[0]: a peer needs a podSelector, a namespaceSelector or an ipBlock")]
    [InlineData("""{"ingress":[{"from":[{"podSelector":{},"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""",
        "spec.ingress[0].from[0]: an ipBlock cannot be combined with a podSelector or namespaceSelector")]
    [InlineData("""{"ingress":[{"from":[null]}]}""",
        "spec.ingress[0].from[0]: a peer needs a podSelector, a namespaceSelector or an ipBlock")]
    public void TryParse_AnInvalidPolicy_IsRefusedWithOneReasonNamingItAndTheField(string spec, string problem)
    {
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson(spec), out NetworkPolicy? policy, out string reason));
        Assert.Null(policy);
        Assert.Equal("NetworkPolicy prod/p: " + problem, reason);
    }

    [Theory]
    [InlineData("""{"name":"p"}""", "NetworkPolicy (no namespace)/p: metadata.namespace: missing")]
    [InlineData("""{"namespace":"prod"}""", "NetworkPolicy prod/(unnamed): metadata.name: missing")]
    [InlineData("""{"namespace":"prod","name":""}""", "NetworkPolicy prod/\"\": metadata.name: missing")]
    public void TryParse_NoNameOrNamespace_IsRefused(string metadata, string expected)
    {
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson("{}", metadata), out _, out string reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void TryParse_AFieldOfTheWrongType_IsRefusedNamingThePolicyAndThePath()
    {
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson("""{"podSelector":{"matchLabels":{"app":7}}}"""), out _, out string reason));
        Assert.StartsWith("NetworkPolicy prod/p: malformed: ", reason, StringComparison.Ordinal);
        Assert.Contains("$.spec.podSelector.matchLabels.app", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_AnEndPortBeyondAnyInteger_IsRefused()
    {
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson("""{"ingress":[{"ports":[{"port":1,"endPort":1e30}]}]}"""), out _, out string reason));
        Assert.Contains("$.spec.ingress[0].ports[0].endPort", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "NetworkPolicy (unnamed): malformed: ")]
    [InlineData("{\"metadata\":", "NetworkPolicy (unnamed): malformed: ")]
    [InlineData("[1,2]", "NetworkPolicy (unnamed): malformed: ")]
    [InlineData("null", "NetworkPolicy: null instead of an object")]
    public void TryParse_NotAnObject_IsRefused(string json, string expected)
    {
        Assert.False(NetworkPolicyParser.TryParse(Encoding.UTF8.GetBytes(json), out _, out string reason));
        Assert.StartsWith(expected, reason, StringComparison.Ordinal);
    }

    /// <summary>A JsonElement checks a string's UTF-8 only when it is read, with an InvalidOperationException.</summary>
    [Fact]
    public void TryParse_StringsThatAreNotUtf8_AreRefusedWithoutThrowing()
    {
        byte[] port = PolicyJson("""{"ingress":[{"ports":[{"port":"h?p"}]}]}""");
        port[Array.IndexOf(port, (byte)'?')] = 0xFF;
        Assert.False(NetworkPolicyParser.TryParse(port, out _, out string reason));
        Assert.Equal("NetworkPolicy prod/p: spec.ingress[0].ports[0].port: not valid UTF-8", reason);
        byte[] name = PolicyJson("""{"podSelector":7}""", """{"name":"?","namespace":"prod"}""");
        name[Array.IndexOf(name, (byte)'?')] = 0xFF;
        Assert.False(NetworkPolicyParser.TryParse(name, out _, out reason));
        Assert.StartsWith("NetworkPolicy prod/(unnamed): malformed: ", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MoreRulesThanTheLimit_IsRefused()
    {
        string rules = string.Join(",", Enumerable.Repeat("{}", ParseLimits.MaxRulesPerDirection + 1));
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson($$"""{"ingress":[{{rules}}]}"""), out _, out string reason));
        Assert.Equal($"NetworkPolicy prod/p: spec.ingress: {ParseLimits.MaxRulesPerDirection + 1} rules, over the limit of {ParseLimits.MaxRulesPerDirection}", reason);
    }

    [Fact]
    public void TryParse_MoreLabelsThanTheLimit_IsRefused()
    {
        string labels = string.Join(",", Enumerable.Range(0, ParseLimits.MaxLabels + 1).Select(i => $"\"k{i}\":\"v\""));
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson("{\"podSelector\":{\"matchLabels\":{" + labels + "}}}"), out _, out string reason));
        Assert.Equal($"NetworkPolicy prod/p: spec.podSelector.matchLabels: {ParseLimits.MaxLabels + 1} labels, over the limit of {ParseLimits.MaxLabels}", reason);
    }

    [Fact]
    public void TryParse_ALabelValueLongerThanKubernetesAllows_IsRefused()
    {
        Assert.False(NetworkPolicyParser.TryParse(PolicyJson("{\"podSelector\":{\"matchLabels\":{\"app\":\"" + new string('x', 64) + "\"}}}"), out _, out string reason));
        Assert.Equal("NetworkPolicy prod/p: spec.podSelector.matchLabels.app: a value longer than 63 characters", reason);
    }

    [Fact]
    public void TryParse_AnObjectLargerThanTheApiServerTakes_IsRefusedBeforeDeserializing()
    {
        byte[] json = new byte[ParseLimits.MaxObjectBytes + 1];
        Assert.False(NetworkPolicyParser.TryParse(json, out _, out string reason));
        Assert.Equal($"NetworkPolicy of {json.Length} bytes: over the limit of {ParseLimits.MaxObjectBytes}", reason);
    }
}
