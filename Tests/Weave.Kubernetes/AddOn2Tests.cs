using System.Net;
using System.Text.RegularExpressions;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// Two nodes of a real cluster (kubelet, containerd, kube-proxy): the add-on installed with one
/// <c>kubectl apply</c> brings the nodes Ready with a full mesh; pods on both nodes get addresses
/// from the range and reach each other, a Service backed by a pod on the other node, and the world
/// through masquerade; the host's netfilter holds with iptables' FORWARD policy at drop and comes
/// back when flushed; pods cannot reach the routers' ports; a deleted pod's address is released;
/// uninstalling leaves nothing of the add-on on the nodes.
/// </summary>
public sealed partial class AddOn2Tests(ITestOutputHelper output)
{
    [RootFact]
    public void Install_RunPods_Netfilter_DeletePod_Uninstall()
    {
        RootFactAttribute.Require();
        using KubeCluster cluster = AddOn.StartCluster(2, output.WriteLine);

        AddOn.Install(cluster);
        FullMeshAndNodesMarkedUp(cluster);

        cluster.Apply(AddOn.Pod("bb1", "node1"));
        cluster.Apply(AddOn.Pod("bb2", "node2"));
        cluster.Apply(AddOn.Pod("bb3", "node1"));
        // A web server that also says who is asking (a CGI printing REMOTE_ADDR).
        cluster.Apply(AddOn.Pod("web", "node2",
            "mkdir -p /tmp/www/cgi-bin && echo hello-from-node2 > /tmp/www/index.html && " +
            "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /tmp/www/cgi-bin/ip && " +
            "chmod +x /tmp/www/cgi-bin/ip && exec httpd -f -p 8080 -h /tmp/www", "{app: web}"));
        cluster.Apply("""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web-local, namespace: default}
            spec:
              type: NodePort
              externalTrafficPolicy: Local
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080}]
            """);
        foreach (string pod in (string[])["bb1", "bb2", "bb3", "web"])
        {
            cluster.WaitForPodReady("default", pod);
        }
        IPAddress bb1 = AddOn.PodIp(cluster, "bb1"), bb2 = AddOn.PodIp(cluster, "bb2"), bb3 = AddOn.PodIp(cluster, "bb3");
        output.WriteLine($"bb1 {bb1} (node1), bb2 {bb2} (node2), bb3 {bb3} (node1)");
        AddOn.AssertInRange(bb1);
        AddOn.AssertInRange(bb2);
        AddOn.AssertInRange(bb3);

        PodsReachEachOtherTheServiceAndTheWorld(cluster, bb2, bb3);
        WeavePsListsPodsByName(cluster);
        TrafficFromOutsideToALocalPod_KeepsItsSource(cluster);
        NodesReachPodsAcrossTheOverlay(cluster, bb1, bb2);
        PodsCannotReachTheRoutersPorts(cluster);
        ForwardPolicyDrop_TrafficStillFlows(cluster, bb2, bb3);
        FlushedTable_IsRestored(cluster);
        DeletedPod_ReleasesItsAddress(cluster, bb3);

        cluster.DeletePods("default", "bb1", "bb2", "web");
        Uninstall_LeavesNothingOfTheAddOn(cluster);
    }

    private void FullMeshAndNodesMarkedUp(KubeCluster cluster)
    {
        foreach (KubeNode node in cluster.Nodes)
        {
            cluster.WaitFor($"{node.Name}'s router to have its peer", () =>
                AddOn.Weave(cluster, node.Name, "status").Stdout.Contains("Connections: 1 (1 established)", StringComparison.Ordinal));
            string status = AddOn.Weave(cluster, node.Name, "status").EnsureSuccess().Stdout;
            output.WriteLine($"--- weave status on {node.Name}\n{status}");
            Assert.Contains("Peers: 2 (with 2 established connections)", status, StringComparison.Ordinal);
            Assert.Matches($@"Name: [0-9a-f:]+\({node.Name}\)", status);
            string reason = cluster.Kubectl("get", "node", node.Name, "-o",
                "jsonpath={.status.conditions[?(@.type==\"NetworkUnavailable\")].status}/{.status.conditions[?(@.type==\"NetworkUnavailable\")].reason}").EnsureSuccess().Stdout;
            Assert.Equal("False/WeaveIsUp", reason);
        }
    }

    private static void PodsReachEachOtherTheServiceAndTheWorld(KubeCluster cluster, IPAddress bb2, IPAddress bb3)
    {
        AddOn.InPod(cluster, "bb1", "ping", "-c", "3", "-W", "2", bb2.ToString()).EnsureSuccess();
        AddOn.InPod(cluster, "bb2", "ping", "-c", "2", "-W", "2", bb3.ToString()).EnsureSuccess();
        AddOn.InPod(cluster, "bb1", "ping", "-c", "2", "-W", "2", bb3.ToString()).EnsureSuccess();

        string clusterIp = cluster.Kubectl("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}").EnsureSuccess().Stdout.Trim();
        string page = AddOn.InPod(cluster, "bb1", "wget", "-q", "-O", "-", $"http://{clusterIp}:80/").EnsureSuccess().Stdout;
        Assert.Equal("hello-from-node2", page.Trim());

        AddOn.InPod(cluster, "bb1", "ping", "-c", "2", "-W", "2", cluster.WorldAddress.ToString()).EnsureSuccess();
        string world = AddOn.InPod(cluster, "bb1", "wget", "-q", "-O", "-", $"http://{cluster.WorldAddress}:80/").EnsureSuccess().Stdout;
        Assert.False(string.IsNullOrWhiteSpace(world));
        // The API server, through kube-proxy's DNAT of the kubernetes Service.
        AddOn.InPod(cluster, "bb2", "wget", "-q", "-O", "-", "--no-check-certificate", "https://10.96.0.1:443/version").EnsureSuccess();
    }

    /// <summary>
    /// NO_MASQ_LOCAL (on by default): a client outside the cluster reaching a pod through a
    /// NodePort Service with externalTrafficPolicy Local on the pod's node is seen with its own
    /// address, not the bridge's.
    /// </summary>
    private void TrafficFromOutsideToALocalPod_KeepsItsSource(KubeCluster cluster)
    {
        string port = cluster.Kubectl("get", "service", "web-local", "-o", "jsonpath={.spec.ports[0].nodePort}").EnsureSuccess().Stdout.Trim();
        KubeNode node2 = cluster.Nodes[1];
        CommandResult seen = Command.Run("nsenter", "--net=/run/netns/" + cluster.WorldNamespace, "busybox", "wget", "-q", "-O", "-",
            $"http://{node2.Address}:{port}/cgi-bin/ip").EnsureSuccess();
        output.WriteLine($"the web pod saw the world's request from {seen.Stdout.Trim()}");
        // busybox httpd listens on IPv6 too and writes IPv4 clients as [::ffff:a.b.c.d].
        string[] world = [KubeAddressPlan.WorldGateway.ToString(), $"[::ffff:{KubeAddressPlan.WorldGateway}]"];
        Assert.Contains(seen.Stdout.Trim(), world);
    }

    private void WeavePsListsPodsByName(KubeCluster cluster)
    {
        string ps = AddOn.Weave(cluster, "node1", "ps").EnsureSuccess().Stdout;
        output.WriteLine($"--- weave ps on node1\n{ps}");
        Assert.Contains("default/bb1", ps, StringComparison.Ordinal);
        Assert.Contains("default/bb3", ps, StringComparison.Ordinal);
        Assert.DoesNotContain("default/bb2", ps, StringComparison.Ordinal);
        Assert.Contains("weave:expose", ps, StringComparison.Ordinal);
    }

    private static void NodesReachPodsAcrossTheOverlay(KubeCluster cluster, IPAddress bb1, IPAddress bb2)
    {
        KubeNode node1 = cluster.Nodes[0];
        node1.Exec("ping", "-c", "2", "-W", "2", bb1.ToString()).EnsureSuccess();
        node1.Exec("ping", "-c", "2", "-W", "2", bb2.ToString()).EnsureSuccess();
    }

    /// <summary>TCP from a pod: a connection within 3 s (busybox nc with stdin at its end exits 0 once connected).</summary>
    private static bool Connects(KubeCluster cluster, string pod, string address, int port) =>
        AddOn.InPod(cluster, pod, "sh", "-c", $"nc -w 3 {address} {port} </dev/null").Succeeded;

    private void PodsCannotReachTheRoutersPorts(KubeCluster cluster)
    {
        KubeNode node1 = cluster.Nodes[0], node2 = cluster.Nodes[1];
        // The same connections from a node itself work: the ports are open, only pods are kept off.
        Assert.True(node1.Exec("sh", "-c", $"busybox nc -w 3 {node2.Address} 6783 </dev/null").Succeeded, "node1's host should reach node2's mesh port");
        Assert.True(Connects(cluster, "bb1", cluster.WorldAddress.ToString(), 80), "a pod should reach the world's HTTP port");
        Assert.False(Connects(cluster, "bb1", node1.Address.ToString(), 6783), "a pod reached its node's mesh port");
        Assert.False(Connects(cluster, "bb1", node1.Address.ToString(), 6784), "a pod reached its node's API port");
        Assert.False(Connects(cluster, "bb1", node2.Address.ToString(), 6783), "a pod reached another node's mesh port");
        string bridge = node1.Exec("ip", "-4", "-o", "addr", "show", "weave").EnsureSuccess().Stdout;
        string bridgeAddress = BridgeAddress().Match(bridge).Groups[1].Value;
        Assert.False(Connects(cluster, "bb1", bridgeAddress, 6784), "a pod reached the API port on the bridge's address");
        output.WriteLine($"pods kept off 6783/6784 of {node1.Address}, {bridgeAddress} and {node2.Address}");
    }

    private void ForwardPolicyDrop_TrafficStillFlows(KubeCluster cluster, IPAddress bb2, IPAddress bb3)
    {
        KubeNode node1 = cluster.Nodes[0];
        node1.Exec("iptables", "-P", "FORWARD", "DROP").EnsureSuccess();
        try
        {
            cluster.WaitFor("the router's accept rules in a dropping FORWARD chain", () =>
                node1.Exec("nft", "list", "chain", "ip", "filter", "FORWARD").Stdout.Contains("weave: pod traffic", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            output.WriteLine(node1.Exec("iptables-save", "-t", "filter").Stdout);
            AddOn.InPod(cluster, "bb1", "ping", "-c", "2", "-W", "2", bb3.ToString()).EnsureSuccess();
            AddOn.InPod(cluster, "bb1", "ping", "-c", "2", "-W", "2", bb2.ToString()).EnsureSuccess();
            AddOn.InPod(cluster, "bb1", "ping", "-c", "2", "-W", "2", cluster.WorldAddress.ToString()).EnsureSuccess();
        }
        finally
        {
            node1.Exec("iptables", "-P", "FORWARD", "ACCEPT").EnsureSuccess();
        }
    }

    private static void FlushedTable_IsRestored(KubeCluster cluster)
    {
        KubeNode node2 = cluster.Nodes[1];
        node2.Exec("nft", "delete", "table", "ip", "weave").EnsureSuccess();
        cluster.WaitFor("table ip weave to be restored on node2", () =>
            node2.Exec("nft", "list", "table", "ip", "weave").Stdout.Contains("masquerade", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        AddOn.InPod(cluster, "bb2", "ping", "-c", "2", "-W", "2", cluster.WorldAddress.ToString()).EnsureSuccess();
        string? pod = AddOn.PodOn(cluster, "node2");
        Assert.Contains("was changed or removed by something else: restored", AddOn.Logs(cluster, pod!), StringComparison.Ordinal);
    }

    private void DeletedPod_ReleasesItsAddress(KubeCluster cluster, IPAddress bb3)
    {
        cluster.DeletePods("default", "bb3");
        cluster.WaitFor("bb3's address to be released", () => !AddOn.Weave(cluster, "node1", "ps").Stdout.Contains(bb3.ToString(), StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        KubeNode node1 = cluster.Nodes[0];
        string containerd = File.ReadAllText(node1.ContainerdLog);
        int teardowns = Regex.Count(containerd, "TearDown network for sandbox");
        output.WriteLine($"containerd on node1: {teardowns} network teardowns logged");
        Assert.DoesNotContain("failed to destroy network", containerd, StringComparison.Ordinal);
        Assert.DoesNotContain(node1.Exec("ip", "-o", "link").Stdout.Split('\n'), l => l.Contains("vethwepl", StringComparison.Ordinal) && l.Contains("state DOWN", StringComparison.Ordinal));
    }

    private static void Uninstall_LeavesNothingOfTheAddOn(KubeCluster cluster)
    {
        cluster.Delete(AddOn.Manifest);
        cluster.Apply(AddOn.ResetManifest);
        cluster.WaitForDaemonSet(AddOn.Namespace, "weave-net-reset");
        foreach (KubeNode node in cluster.Nodes)
        {
            cluster.WaitFor($"{node.Name} to be clean", () => !node.Exec("ip", "link", "show", "weave").Succeeded, TimeSpan.FromSeconds(60));
            Assert.DoesNotContain("vethwe", node.Exec("ip", "-o", "link").EnsureSuccess().Stdout, StringComparison.Ordinal);
            Assert.False(node.Exec("nft", "list", "table", "ip", "weave").Succeeded, "table ip weave is still there");
            Assert.DoesNotContain("weave", node.Exec("nft", "list", "chain", "ip", "filter", "FORWARD").Stdout, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(node.CniConfDirectory, "10-weave.conflist")));
            Assert.False(File.Exists(Path.Combine(node.CniBinDirectory, "weave-net")));
            Assert.True(File.Exists(Path.Combine(node.CniBinDirectory, "portmap")), "reset removed a plugin that was not ours");
            Assert.False(File.Exists(Path.Combine(node.WeaveDataDirectory, "ipam.state")));
            Assert.Contains("KUBE-", node.Exec("iptables-save", "-t", "nat").Stdout, StringComparison.Ordinal); // kube-proxy's rules untouched
        }
        cluster.Delete(AddOn.ResetManifest);
        Assert.Contains("NotFound", cluster.Kubectl("-n", AddOn.Namespace, "get", "configmap", "weave-net").Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"inet ([0-9.]+)/")]
    private static partial Regex BridgeAddress();
}
