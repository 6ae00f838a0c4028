using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// Three nodes; one vanishes (its machine and router die) and its Node object is deleted: exactly
/// one of the two others takes its address space over (rmpeer once), it leaves the peer list, and
/// pods still get addresses. When that machine boots again, its router finds its old IP allocation
/// state, sees it was reclaimed while down, starts fresh and says so, and rejoins.
/// </summary>
public sealed partial class AddOnReclaim3Tests(ITestOutputHelper output)
{
    private const string PeersKey = "kube-peers.weave.works/peers";

    [RootFact]
    public void NodeDeleted_SpaceReclaimedExactlyOnce_RebootedRouterStartsFresh()
    {
        RootFactAttribute.Require();
        using KubeCluster cluster = AddOn.StartCluster(3, output.WriteLine);
        AddOn.Install(cluster);
        cluster.Apply(AddOn.Pod("on3", "node3"));
        cluster.WaitForPodReady("default", "on3");
        Dictionary<string, string> peers = PeerList(cluster);
        Assert.Equal(["node1", "node2", "node3"], peers.Keys.Order(StringComparer.Ordinal));
        string lost = peers["node3"];
        string ipam = AddOn.Weave(cluster, "node1", "status", "ipam").EnsureSuccess().Stdout;
        output.WriteLine($"--- weave status ipam on node1\n{ipam}");
        Assert.Contains("(node3)", ipam, StringComparison.Ordinal);
        string stateFile = Path.Combine(cluster.Nodes[2].WeaveDataDirectory, "ipam.state");
        Assert.True(File.Exists(stateFile), "node3's router keeps no IP allocation state");

        cluster.Nodes[2].Stop();
        cluster.Kubectl("delete", "node", "node3").EnsureSuccess();
        try
        {
            cluster.WaitFor("node3's peer to be reclaimed and leave the peer list", () =>
            {
                using JsonDocument map = cluster.GetJson("/api/v1/namespaces/kube-system/configmaps/weave-net");
                JsonElement annotations = map.RootElement.GetProperty("metadata").GetProperty("annotations");
                // The peer list is the add-on's only annotation left: no lock remains.
                return !PeerList(annotations).ContainsKey("node3") &&
                    annotations.EnumerateObject().Count(a => a.Name.StartsWith("kube-peers.weave.works/", StringComparison.Ordinal)) == 1;
            }, TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            output.WriteLine(cluster.Kubectl("-n", AddOn.Namespace, "get", "configmap", "weave-net", "-o", "yaml").Stdout);
            foreach (string node in (string[])["node1", "node2"])
            {
                output.WriteLine($"--- router on {node}\n{AddOn.Logs(cluster, AddOn.PodOn(cluster, node)!)}");
            }
            throw;
        }

        string log1 = AddOn.Logs(cluster, AddOn.PodOn(cluster, "node1")!), log2 = AddOn.Logs(cluster, AddOn.PodOn(cluster, "node2")!);
        string[] reclaims = [.. (log1 + log2).Split('\n').Where(l => l.Contains($"Reclaimed peer {lost}", StringComparison.Ordinal))];
        string[] takeovers = [.. (log1 + log2).Split('\n').Where(l => l.Contains("IPAM 3050:", StringComparison.Ordinal))];
        output.WriteLine(string.Join('\n', reclaims.Concat(takeovers)));
        Assert.Single(reclaims);
        Assert.Single(takeovers);
        ipam = AddOn.Weave(cluster, "node1", "status", "ipam").EnsureSuccess().Stdout;
        output.WriteLine($"--- weave status ipam on node1 after the reclaim\n{ipam}");
        Assert.DoesNotContain(lost, ipam, StringComparison.Ordinal);
        cluster.Apply(AddOn.Pod("after", "node2"));
        cluster.WaitForPodReady("default", "after");

        // The machine boots again, its disk as it was.
        Assert.True(File.Exists(stateFile));
        cluster.Nodes[2].Start();
        cluster.WaitForNodesReady(TimeSpan.FromMinutes(2));
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(2));
        string log3 = AddOn.Logs(cluster, AddOn.PodOn(cluster, "node3")!);
        output.WriteLine($"--- log of node3's router after the boot\n{log3}");
        Assert.Contains("this peer was reclaimed by another router while it was down; starting with fresh IP allocation state", log3, StringComparison.Ordinal);
        cluster.WaitFor("node3's peer back in the list", () => PeerList(cluster).GetValueOrDefault("node3") == lost);
        cluster.Apply(AddOn.Pod("back3", "node3"));
        cluster.WaitForPodReady("default", "back3");
        AddOn.InPod(cluster, "back3", "ping", "-c", "2", "-W", "2", AddOn.PodIp(cluster, "after").ToString()).EnsureSuccess();
        // After the boot the kubelet tears the old sandboxes down (CNI DEL without a netns) at once,
        // before the router is back: those DELs fail (the address cannot be released yet) and the
        // kubelet tries again; every one must end torn down.
        string containerd = cluster.Nodes[2].ContainerdLog;
        string[] failed = [.. File.ReadAllLines(containerd).Select(l => FailedTeardown().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct()];
        output.WriteLine($"{failed.Length} sandbox teardown(s) failed while node3's router was starting");
        cluster.WaitFor("every old sandbox on node3 to be torn down", () =>
        {
            string log = File.ReadAllText(containerd);
            return failed.All(id => log.Contains($"TearDown network for sandbox \\\"{id}\\\" successfully", StringComparison.Ordinal));
        }, TimeSpan.FromMinutes(2));
    }

    private static Dictionary<string, string> PeerList(KubeCluster cluster)
    {
        using JsonDocument map = cluster.GetJson("/api/v1/namespaces/kube-system/configmaps/weave-net");
        return PeerList(map.RootElement.GetProperty("metadata").GetProperty("annotations"));
    }

    /// <summary>The peer list annotation as node to peer name.</summary>
    private static Dictionary<string, string> PeerList(JsonElement annotations)
    {
        using JsonDocument list = JsonDocument.Parse(annotations.GetProperty(PeersKey).GetString()!);
        return list.RootElement.GetProperty("Peers").EnumerateArray()
            .ToDictionary(p => p.GetProperty("NodeName").GetString()!, p => p.GetProperty("PeerName").GetString()!, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"failed to destroy network for sandbox \\""([0-9a-f]+)")]
    private static partial Regex FailedTeardown();
}
