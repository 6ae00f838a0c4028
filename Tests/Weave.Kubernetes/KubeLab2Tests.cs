using System.Diagnostics;
using System.Text.Json;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// The Kubernetes lab itself, with a stand-in network add-on (Debian's bridge plugin installed by
/// a hostNetwork DaemonSet): two nodes register NotReady, turn Ready once the add-on's config is
/// in their /etc/cni/net.d, run pods that reach the world through masquerade and the API server
/// through kube-proxy; a node stopped, deleted and booted again comes back with what its disk kept;
/// and disposing the cluster leaves nothing of it on the machine.
/// </summary>
public sealed class KubeLab2Tests(ITestOutputHelper output)
{
    // Debian's bridge plugin with ipMasq stands in for the add-on: 10.32.N.0/24 on node N.
    private static readonly string s_cniDaemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: test-cni, namespace: kube-system}
        spec:
          selector: {matchLabels: {app: test-cni}}
          template:
            metadata: {labels: {app: test-cni}}
            spec:
              hostNetwork: true
              tolerations:
              - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoSchedule}
              - {operator: Exists, effect: NoExecute}
              terminationGracePeriodSeconds: 1
              containers:
              - name: install
                image: BUSYBOX
                imagePullPolicy: Never
                env: [{name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
                command:
                - sh
                - -c
                - |
                  n=${NODE_NAME#node}
                  cat > /host/etc/cni/net.d/.10-test.conflist <<EOF
                  {"cniVersion": "0.4.0", "name": "test-net", "plugins": [
                    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
                     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.32.$n.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
                    {"type": "portmap", "capabilities": {"portMappings": true}}]}
                  EOF
                  mv /host/etc/cni/net.d/.10-test.conflist /host/etc/cni/net.d/10-test.conflist
                  exec sleep 3600
                volumeMounts: [{name: cni-conf, mountPath: /host/etc/cni/net.d}]
              volumes:
              - {name: cni-conf, hostPath: {path: /etc/cni/net.d}}
        """.Replace("BUSYBOX", KubeImages.Busybox, StringComparison.Ordinal);

    [RootFact]
    public void Start_WithCniFromDaemonSet_NodesTurnReady_PodsReachWorldAndApi_NodeBootsAgain_DisposeLeavesNothing()
    {
        RootFactAttribute.Require();
        Dictionary<string, bool> pathsBefore = s_machinePaths.ToDictionary(p => p, Path.Exists);
        var clock = Stopwatch.StartNew();
        KubeCluster cluster = KubeCluster.Start(new KubeClusterOptions { NodeCount = 2, Log = output.WriteLine });
        output.WriteLine($"Start: {clock.Elapsed.TotalSeconds:F1} s");
        string run = cluster.RunName;
        string runDirectory = cluster.RunDirectory;
        IReadOnlySet<int> pids;
        try
        {
            Assert.Equal(["node1", "node2"], NodeNames(cluster));
            Assert.All(cluster.Nodes, node =>
            {
                Assert.Empty(Directory.GetFileSystemEntries(node.CniConfDirectory));
                Assert.Equal(node.Name, node.Exec("hostname").EnsureSuccess().Stdout.Trim());
                Assert.Equal(node.MachineId, node.Exec("cat", "/etc/machine-id").EnsureSuccess().Stdout.Trim());
                Assert.Contains("portmap", node.Exec("ls", "/opt/cni/bin").EnsureSuccess().Stdout, StringComparison.Ordinal);
            });

            cluster.Apply(s_cniDaemonSet);
            cluster.WaitForDaemonSet("kube-system", "test-cni");
            cluster.WaitForNodesReady();
            Assert.All(cluster.Nodes, node => Assert.True(File.Exists(Path.Combine(node.CniConfDirectory, "10-test.conflist"))));

            foreach (KubeNode node in cluster.Nodes)
            {
                cluster.Apply(BusyboxPod("bb-" + node.Name, node.Name));
            }
            foreach (KubeNode node in cluster.Nodes)
            {
                cluster.WaitForPodReady("default", "bb-" + node.Name);
                CommandResult ping = cluster.Kubectl("exec", "bb-" + node.Name, "--", "ping", "-c", "2", "-W", "3", cluster.WorldAddress.ToString());
                Assert.True(ping.Succeeded, $"a pod on {node.Name} cannot reach the world: {ping}\n{cluster.Diagnostics()}");
                // busybox's static wget wants the port spelled out.
                CommandResult version = cluster.Kubectl("exec", "bb-" + node.Name, "--",
                    "wget", "-q", "-O", "-", "--no-check-certificate", $"https://{KubeAddressPlan.KubernetesService}:443/version");
                Assert.True(version.Succeeded && version.Stdout.Contains("v1.20.2", StringComparison.Ordinal),
                    $"a pod on {node.Name} cannot reach the API server through the kubernetes service: {version}");
            }

            pids = cluster.ProcessIds();
            output.WriteLine($"{pids.Count} processes, RSS {cluster.ResidentBytes() / (1024 * 1024)} MiB, {clock.Elapsed.TotalSeconds:F1} s since start");

            pids = pids.Union(StopDeleteAndBootAgain(cluster, cluster.Nodes[1])).ToHashSet();
        }
        finally
        {
            var disposing = Stopwatch.StartNew();
            cluster.Dispose();
            output.WriteLine($"Dispose: {disposing.Elapsed.TotalSeconds:F1} s");
        }

        Assert.DoesNotContain(LabNamespaces.List(), ns => ns.StartsWith(run, StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/sys/fs/cgroup").SelectMany(Directory.EnumerateDirectories),
            dir => Path.GetFileName(dir).StartsWith(run, StringComparison.Ordinal));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(run, StringComparison.Ordinal));
        Assert.DoesNotContain(pids, IsRunning);
        Assert.Empty(ProcessesMentioning(runDirectory));
        Assert.False(Directory.Exists(runDirectory));
        Assert.All(pathsBefore.Where(p => !p.Value), created => Assert.True(IsGoneOrUsedByOthers(created.Key, runDirectory), created.Key));
    }

    // The add-on's end-to-end test does this to node3: the machine vanishes, its Node object is
    // deleted, and it boots again with its disk as it was; its pod comes back in a new sandbox.
    // Returns the processes of the new boot.
    private IReadOnlySet<int> StopDeleteAndBootAgain(KubeCluster cluster, KubeNode node)
    {
        string pod = "bb-" + node.Name;
        node.Exec("sh", "-c", "echo before-stop > /var/lib/weave/marker").EnsureSuccess();
        string bootBefore = node.BootId;
        string containerBefore = Container(cluster, pod).Id;
        node.Stop();
        Assert.False(node.IsRunning);
        Assert.False(LabNamespaces.Exists(node.Namespace));
        cluster.Kubectl("delete", "node", node.Name).EnsureSuccess();

        var booting = Stopwatch.StartNew();
        node.Start();
        output.WriteLine($"{node.Name}: Start after Stop: {booting.Elapsed.TotalSeconds:F1} s to register");
        Assert.True(node.IsRunning);
        Assert.NotEqual(bootBefore, node.BootId);
        Assert.Equal(node.BootId, node.Exec("cat", "/proc/sys/kernel/random/boot_id").EnsureSuccess().Stdout.Trim());
        Assert.Equal(node.MachineId, node.Exec("cat", "/etc/machine-id").EnsureSuccess().Stdout.Trim());
        Assert.Contains($"inet {node.Address}/", node.Exec("ip", "-4", "addr", "show", "eth0").EnsureSuccess().Stdout, StringComparison.Ordinal);
        // What the node's disk kept: the add-on's state and its CNI config (its DaemonSet writes the config again anyway).
        Assert.Equal("before-stop", node.Exec("cat", "/var/lib/weave/marker").EnsureSuccess().Stdout.Trim());
        Assert.Contains("10-test.conflist", node.Exec("ls", "/etc/cni/net.d").EnsureSuccess().Stdout, StringComparison.Ordinal);
        cluster.WaitForNodesReady();
        output.WriteLine($"{node.Name}: Ready {booting.Elapsed.TotalSeconds:F1} s after Start began");

        // The Pod object outlived its node (the pod GC waits 40 s for a node to come back): kubelet
        // finds its sandbox dead and starts it afresh; the status from before the stop does not count.
        cluster.WaitFor($"{pod} to run again", () => Container(cluster, pod) is { Ready: true } now && now.Id != containerBefore);
        CommandResult ping = cluster.Kubectl("exec", pod, "--", "ping", "-c", "1", "-W", "3", cluster.WorldAddress.ToString());
        Assert.True(ping.Succeeded, $"the pod on {node.Name} cannot reach the world after the boot: {ping}\n{cluster.Diagnostics()}");
        output.WriteLine($"{node.Name}: {pod} back {booting.Elapsed.TotalSeconds:F1} s after Start began");
        return cluster.ProcessIds();
    }

    private static (string Id, bool Ready) Container(KubeCluster cluster, string pod)
    {
        using JsonDocument json = cluster.GetJson("/api/v1/namespaces/default/pods/" + pod);
        foreach (JsonElement container in json.RootElement.GetProperty("status").GetProperty("containerStatuses").EnumerateArray())
        {
            return (container.TryGetProperty("containerID", out JsonElement id) ? id.GetString() ?? "" : "", container.GetProperty("ready").GetBoolean());
        }
        return ("", false);
    }

    // Machine paths a run creates when missing: the mount points of the nodes' private views (removed
    // with the last run), and defaults of kubelet and the controller manager (never made at all).
    private static readonly string[] s_machinePaths =
        ["/etc/cni", "/etc/cni/net.d", "/opt/cni", "/opt/cni/bin", "/var/lib/cni", "/var/log/pods", "/var/log/containers", "/var/lib/weave", "/var/lib/kubelet", "/run/containerd",
         "/usr/libexec/kubernetes"];

    private static string BusyboxPod(string name, string nodeName) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: default
        spec:
          nodeSelector:
            kubernetes.io/hostname: {{nodeName}}
          automountServiceAccountToken: false
          terminationGracePeriodSeconds: 1
          containers:
          - name: bb
            image: {{KubeImages.Busybox}}
            imagePullPolicy: Never
            command: [sleep, "3600"]
        """;

    private static List<string> NodeNames(KubeCluster cluster)
    {
        using JsonDocument nodes = cluster.GetJson("/api/v1/nodes");
        return [.. nodes.RootElement.GetProperty("items").EnumerateArray()
            .Select(n => n.GetProperty("metadata").GetProperty("name").GetString() ?? "")
            .Order(StringComparer.Ordinal)];
    }

    // What the run created is removed, unless someone else has put files in it meanwhile, or another
    // run (another engineer's, on this shared machine) is alive: its nodes mount over the same paths,
    // so the lab keeps them on its list of created mount points for the last run to remove.
    private static bool IsGoneOrUsedByOthers(string path, string runDirectory)
    {
        if (!Path.Exists(path) || (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()))
        {
            return true;
        }
        string runs = Path.GetDirectoryName(runDirectory)!;
        string list = Path.Combine(runs, "created-mount-points.list");
        return File.Exists(list) && File.ReadLines(list).Contains(path)
            && Directory.EnumerateDirectories(runs).Select(Path.GetFileName).Any(name =>
                name != Path.GetFileName(runDirectory) && RunName.TryGetOwner(name!, out int owner) && Signals.IsAlive(owner));
    }

    // A killed container whose shim died with it waits as a zombie until PID 1 reaps it: that is not running.
    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(dir)}: {commandLine}");
                }
            }
            catch (IOException)
            {
                // Not a process, or gone.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
