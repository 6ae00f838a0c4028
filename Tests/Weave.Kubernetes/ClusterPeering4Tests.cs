using System.Net;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// Two real clusters of two nodes each, each with the add-on installed by its own
/// <c>kubectl apply</c> and its own range (a: 10.32.0.0/12, the default; b: 10.48.0.0/12), their
/// nodes also joined by a routed network (<see cref="KubeInterconnect"/>). Peering is the
/// documented step: the ConfigMap <c>weave-net-peering</c> naming the other cluster's nodes, then
/// a rolling restart. Pods of each reach the other's by address, unmasqueraded, through
/// kube-proxy's and the add-on's netfilter; pods created before keep their addresses, new ones
/// are allocated in each cluster's own range. Unpeering is the same ConfigMap admitting no other
/// cluster: the routes go and the pods no longer reach each other.
/// </summary>
public sealed class ClusterPeering4Tests(ITestOutputHelper output)
{
    private const string RangeA = AddOn.PodRange;
    private const string RangeB = "10.48.0.0/12";
    private const string ClusterA = "10-32-0-0-12";
    private const string ClusterB = "10-48-0-0-12";
    private const int TransferMegabytes = 20;

    // Prints the caller's address, and serves a file of random bytes for the transfer.
    private static readonly string s_server =
        "mkdir -p /tmp/www/cgi-bin && " +
        "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /tmp/www/cgi-bin/ip && " +
        $"chmod +x /tmp/www/cgi-bin/ip && dd if=/dev/urandom of=/tmp/www/big bs=1048576 count={TransferMegabytes} 2>/dev/null && " +
        "exec httpd -f -p 8080 -h /tmp/www";

    [RootFact]
    public void PeeringConfigMap_JoinsTwoClusters_PodsReachAcross_UnpeeringSeparatesThem()
    {
        RootFactAttribute.Require();
        (KubeCluster a, KubeCluster b) = StartBoth();
        using (a)
        using (b)
        {
            IReadOnlyList<IReadOnlyList<IPAddress>> interconnect = KubeInterconnect.Join(a, b);
            InstallBoth(a, b);

            a.Apply(AddOn.Pod("pa", "node1"));
            b.Apply(AddOn.Pod("pb", "node2", s_server));
            a.WaitForPodReady("default", "pa");
            b.WaitForPodReady("default", "pb");
            IPAddress pa = AddOn.PodIp(a, "pa"), pb = AddOn.PodIp(b, "pb");
            output.WriteLine($"before peering: pa {pa} in a, pb {pb} in b");
            AssertIn(RangeA, pa);
            AssertIn(RangeB, pb);
            Assert.False(AddOn.InPod(a, "pa", "ping", "-c", "1", "-W", "1", pb.ToString()).Succeeded, "pods reached the other cluster before peering");

            Peer(a, interconnect[1], ClusterB);
            Peer(b, interconnect[0], ClusterA);
            WaitPeered(a, ClusterB, RangeB);
            WaitPeered(b, ClusterA, RangeA);
            Assert.Equal(pa, AddOn.PodIp(a, "pa"));
            Assert.Equal(pb, AddOn.PodIp(b, "pb"));

            AddOn.InPod(a, "pa", "ping", "-c", "3", "-W", "2", pb.ToString()).EnsureSuccess();
            AddOn.InPod(b, "pb", "ping", "-c", "3", "-W", "2", pa.ToString()).EnsureSuccess();
            string seen = AddOn.InPod(a, "pa", "wget", "-q", "-O", "-", $"http://{pb}:8080/cgi-bin/ip").EnsureSuccess().Stdout.Trim();
            output.WriteLine($"pb saw pa's request from {seen}");
            Assert.Contains(seen, (string[])[pa.ToString(), $"[::ffff:{pa}]"]);
            Transfer(a, b, pb);

            // Allocation after the join: each cluster from its own range, and across at once.
            a.Apply(AddOn.Pod("pa2", "node2"));
            b.Apply(AddOn.Pod("pb2", "node1"));
            a.WaitForPodReady("default", "pa2");
            b.WaitForPodReady("default", "pb2");
            IPAddress pa2 = AddOn.PodIp(a, "pa2"), pb2 = AddOn.PodIp(b, "pb2");
            output.WriteLine($"after peering: pa2 {pa2} in a, pb2 {pb2} in b");
            AssertIn(RangeA, pa2);
            AssertIn(RangeB, pb2);
            AddOn.InPod(a, "pa2", "ping", "-c", "2", "-W", "2", pb2.ToString()).EnsureSuccess();

            Unpeer(a);
            foreach (KubeNode node in a.Nodes)
            {
                a.WaitFor($"a's {node.Name} to drop the route to b's range", () =>
                    !node.Exec("ip", "route", "show", "proto", "87").Stdout.Contains(RangeB, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            }
            string status = AddOn.Weave(a, "node1", "status").EnsureSuccess().Stdout;
            output.WriteLine($"--- weave status on a's node1 after unpeering\n{status}");
            Assert.Contains($"Cluster: {ClusterA} ({RangeA}), 2 peers", status, StringComparison.Ordinal);
            Assert.False(AddOn.InPod(a, "pa", "ping", "-c", "2", "-W", "1", pb.ToString()).Succeeded, "pa still reaches pb after unpeering");
        }
    }

    private (KubeCluster A, KubeCluster B) StartBoth()
    {
        Task<KubeCluster> a = Task.Run(() => AddOn.StartCluster(2, output.WriteLine, RangeA));
        Task<KubeCluster> b = Task.Run(() => AddOn.StartCluster(2, output.WriteLine, RangeB));
        try
        {
            Task.WaitAll(a, b);
        }
        catch (AggregateException)
        {
            // Whichever started goes again before the failure is reported.
            if (a.IsCompletedSuccessfully)
            {
                a.Result.Dispose();
            }
            if (b.IsCompletedSuccessfully)
            {
                b.Result.Dispose();
            }
            throw;
        }
        return (a.Result, b.Result);
    }

    private static void InstallBoth(KubeCluster a, KubeCluster b)
    {
        string manifestB = AddOn.Manifest.Replace("{name: IPALLOC_RANGE, value: 10.32.0.0/12}", $"{{name: IPALLOC_RANGE, value: {RangeB}}}", StringComparison.Ordinal);
        Assert.NotEqual(AddOn.Manifest, manifestB);
        Task.WaitAll(Task.Run(() => AddOn.Install(a)), Task.Run(() => AddOn.Install(b, manifestB)));
    }

    /// <summary>What docs/multicluster.md tells an operator to do in each cluster.</summary>
    private static void Peer(KubeCluster cluster, IReadOnlyList<IPAddress> remote, string otherCluster) =>
        SetPeeringAndRestart(cluster, string.Join(' ', remote), otherCluster);

    /// <summary>Admits no other cluster: an empty list (where the ConfigMap's absence admits any).</summary>
    private static void Unpeer(KubeCluster cluster) => SetPeeringAndRestart(cluster, "", "");

    private static void SetPeeringAndRestart(KubeCluster cluster, string remotePeers, string peerClusters)
    {
        cluster.Apply($$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: weave-net-peering, namespace: kube-system}
            data:
              remote-peers: "{{remotePeers}}"
              peer-clusters: "{{peerClusters}}"
            """);
        cluster.Kubectl("-n", AddOn.Namespace, "rollout", "restart", "ds/" + AddOn.DaemonSet).EnsureSuccess();
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(3));
    }

    private void WaitPeered(KubeCluster cluster, string other, string otherRange)
    {
        foreach (KubeNode node in cluster.Nodes)
        {
            cluster.WaitFor($"{node.Name} to see cluster {other} and route its range", () =>
                AddOn.Weave(cluster, node.Name, "status").Stdout.Contains($"OtherClusters: {other} ({otherRange}), 2 peers\n", StringComparison.Ordinal)
                && node.Exec("ip", "route", "show", "proto", "87").Stdout.Contains($"{otherRange} dev weave", StringComparison.Ordinal),
                TimeSpan.FromSeconds(90));
        }
        string status = AddOn.Weave(cluster, "node1", "status").EnsureSuccess().Stdout;
        output.WriteLine($"--- weave status on node1 of {cluster.RunName}\n{status}");
        Assert.Contains("Peers: 4 (with 12 established connections)", status, StringComparison.Ordinal);
    }

    private void Transfer(KubeCluster a, KubeCluster b, IPAddress server)
    {
        string expected = AddOn.InPod(b, "pb", "md5sum", "/tmp/www/big").EnsureSuccess().Stdout.Split(' ')[0];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string got = AddOn.InPod(a, "pa", "sh", "-c", $"wget -q -O - http://{server}:8080/big | md5sum").EnsureSuccess().Stdout.Split(' ')[0];
        output.WriteLine($"{TransferMegabytes} MB from pb to pa in {clock.Elapsed.TotalSeconds:0.00} s (with kubectl exec)");
        Assert.Equal(expected, got);
    }

    private static void AssertIn(string range, IPAddress address) =>
        Assert.True(IPNetwork.Parse(range).Contains(address), $"{address} is not in {range}");
}
