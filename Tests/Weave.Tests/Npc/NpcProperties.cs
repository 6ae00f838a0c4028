using System.Text;
using System.Text.Json;
using FsCheck.Xunit;
using Weave.Npc;
using Xunit;

namespace Weave.Tests.Npc;

/// <summary>
/// The engine against <see cref="ReferencePolicyModel"/> on random clusters (10,000 per run, each
/// with <see cref="FlowsPerCase"/> flows), and the parsers on what the API writes and on garbage.
/// Cases come from <see cref="NpcArbitraries"/> by seed, printed on failure.
/// </summary>
public sealed class NpcProperties
{
    private const int Cases = 10_000;
    private const int FlowsPerCase = 16;

    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = Cases)]
    public void Engine_DecidesEveryFlowAsTheReferenceModel(NpcSeed seed)
    {
        RandomCluster cluster = NpcArbitraries.Cluster(new Random(seed.Value), FlowsPerCase);
        var engine = new PolicyEngine(cluster.Namespaces, cluster.Pods, cluster.Policies);
        var model = new ReferencePolicyModel(cluster.Namespaces, cluster.Policies);
        foreach (Flow flow in cluster.Flows)
        {
            FlowExplanation e = engine.Explain(flow);
            string what = $"{flow}{Environment.NewLine}{e}{Environment.NewLine}policies: {string.Join("; ", cluster.Policies.Select(Describe))}";
            Assert.True(model.EgressAllowed(flow) == e.Egress.Allowed, "egress: " + what);
            Assert.True(model.IngressAllowed(flow) == e.Ingress.Allowed, "ingress: " + what);
            Assert.True(model.Allowed(flow) == e.Allowed, what);
            Assert.Equal(model.IsolatingPolicies(flow.Source, egress: true).Order(StringComparer.Ordinal), e.Egress.IsolatedBy.Select(p => p.Key));
            Assert.Equal(model.IsolatingPolicies(flow.Destination, egress: false).Order(StringComparer.Ordinal), e.Ingress.IsolatedBy.Select(p => p.Key));
        }
    }

    /// <summary>Which policy an explanation names does not depend on the order the policies came in.</summary>
    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = 2_000)]
    public void Engine_ExplainsAlikeWhateverTheOrderOfPolicies(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        RandomCluster cluster = NpcArbitraries.Cluster(random, FlowsPerCase);
        NetworkPolicy[] shuffled = [.. cluster.Policies];
        random.Shuffle(shuffled);
        var engine = new PolicyEngine(cluster.Namespaces, cluster.Pods, cluster.Policies);
        var again = new PolicyEngine(cluster.Namespaces, cluster.Pods, shuffled);
        foreach (Flow flow in cluster.Flows)
        {
            Assert.Equal(engine.Explain(flow).ToString(), again.Explain(flow).ToString());
        }
    }

    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = Cases)]
    public void Parse_OfWhatTheApiWrites_GivesTheObjectBack(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        NetworkPolicy policy = NpcArbitraries.Policy(random, "p");
        Assert.True(NetworkPolicyParser.TryParse(ApiJsonWriter.Write(policy), out NetworkPolicy? parsed, out string reason), reason);
        Assert.Equal(policy, parsed);
        Pod pod = NpcArbitraries.Pod(random);
        Assert.True(PodParser.TryParse(ApiJsonWriter.Write(pod), out Pod? parsedPod, out reason), reason);
        Assert.Equal(pod, parsedPod);
        ClusterNamespace ns = NpcArbitraries.Namespace(random);
        Assert.True(NamespaceParser.TryParse(ApiJsonWriter.Write(ns), out ClusterNamespace? parsedNs, out reason), reason);
        Assert.Equal(ns, parsedNs);
    }

    /// <summary>Any bytes, well-formed JSON of the wrong shape included: an object, or false with a reason; never an exception.</summary>
    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = Cases)]
    public void Parse_OfMutatedJson_NeverThrows(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] valid = random.Next(3) switch
        {
            0 => ApiJsonWriter.Write(NpcArbitraries.Pod(random)),
            1 => ApiJsonWriter.Write(NpcArbitraries.Namespace(random)),
            _ => ApiJsonWriter.Write(NpcArbitraries.Policy(random, "p")),
        };
        byte[] mutated = JsonMutations.Mutate(valid, random, out string what);
        CheckAllParsers(mutated, what);
    }

    private static void CheckAllParsers(byte[] json, string what)
    {
        string text = Encoding.UTF8.GetString(json);
        Check(NetworkPolicyParser.TryParse(json, out NetworkPolicy? policy, out string reason), policy, reason, what, text);
        Check(PodParser.TryParse(json, out Pod? pod, out reason), pod, reason, what, text);
        Check(NamespaceParser.TryParse(json, out ClusterNamespace? ns, out reason), ns, reason, what, text);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return;
        }
        using (document)
        {
            Check(NetworkPolicyParser.TryParse(document.RootElement, out policy, out reason), policy, reason, what, text);
            Check(PodParser.TryParse(document.RootElement, out pod, out reason), pod, reason, what, text);
            Check(NamespaceParser.TryParse(document.RootElement, out ns, out reason), ns, reason, what, text);
        }
    }

    private static void Check(bool parsed, object? value, string reason, string what, string text)
    {
        Assert.True(parsed == value is not null, $"{what}: {text}");
        Assert.True(parsed ? reason.Length == 0 : reason.Length > 0, $"{what}: {text}");
    }

    private static string Describe(NetworkPolicy p) =>
        $"{p.Key} [{p.DeclaredTypes}] pods {p.PodSelector} in [{string.Join(" | ", p.Ingress.Select(Describe))}] out [{string.Join(" | ", p.Egress.Select(Describe))}]";

    private static string Describe(PolicyRule r) => $"peers {string.Join(", ", r.Peers)} ports {string.Join(", ", r.Ports)}";
}
