using System.Collections.Immutable;
using System.Net;
using Weave.Npc;

namespace Weave.Tests.Npc;

/// <summary>
/// Random sequences of clusters as a controller sees them: each step adds or removes a pod, a
/// policy or namespaces, relabels a pod, moves it to the other node, changes its named ports, or
/// (rarely) replaces the whole cluster. Added pods are on n1, the node the tests compile for. Pods live on nodes n1 and n2, as in
/// <see cref="EnforcementProperties.Spread"/>.
/// </summary>
internal static class ClusterSteps
{
    public static RandomCluster First(Random random) => EnforcementProperties.Spread(NpcArbitraries.Cluster(random, 0), random);

    /// <summary>One to three changes: one at a time, most would not touch what node n1 enforces.</summary>
    public static RandomCluster Next(RandomCluster cluster, Random random, int step)
    {
        int changes = 1 + random.Next(3);
        for (int i = 0; i < changes; i++)
        {
            cluster = Change(cluster, random, (step * 3) + i);
        }
        return cluster;
    }

    private static RandomCluster Change(RandomCluster cluster, Random random, int step)
    {
        RandomCluster other = First(random);
        Pod drawn = other.Pods[0];
        Pod[] pods = cluster.Pods;
        int at = pods.Length == 0 ? -1 : random.Next(pods.Length);
        switch (random.Next(10))
        {
            case 0:
                return other;
            case 1 or 2:
                // A fresh address per step: two running pods never share one.
                Pod added = drawn with { Name = $"added-{step}", NodeName = "n1", Addresses = [IPAddress.Parse($"10.32.{random.Next(3)}.{100 + (step % 150)}")] };
                return cluster with { Pods = [.. pods, added] };
            case 3 when at >= 0:
                return cluster with { Pods = [.. pods.Where((_, i) => i != at)] };
            case 4:
                return cluster with { Policies = [.. cluster.Policies, NpcArbitraries.Policy(random, $"added-{step}")] };
            case 5 when cluster.Policies.Length > 0:
                int policy = random.Next(cluster.Policies.Length);
                return cluster with { Policies = [.. cluster.Policies.Where((_, i) => i != policy)] };
            case 6 when at >= 0:
                return cluster with { Pods = Replace(pods, at, pods[at] with { Labels = drawn.Labels }) };
            case 7:
                return cluster with { Namespaces = other.Namespaces };
            case 8 when at >= 0:
                return cluster with { Pods = Replace(pods, at, pods[at] with { NodeName = pods[at].NodeName == "n1" ? "n2" : "n1" }) };
            case 9 when at >= 0:
                return cluster with { Pods = Replace(pods, at, pods[at] with { Ports = drawn.Ports }) };
            default:
                return cluster with { Policies = other.Policies };
        }
    }

    private static Pod[] Replace(Pod[] pods, int at, Pod pod) => [.. pods.Select((p, i) => i == at ? pod : p)];
}
