using System.Globalization;
using System.Net;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;

namespace Weave.Kubernetes;

/// <summary>
/// The add-on as an operator installs it: the image <c>./build.sh image</c> wrote, the manifest in
/// <c>deploy/</c>, and the ways to look at it in a running cluster (its pods, their routers' CLI).
/// </summary>
internal static class AddOn
{
    public const string Namespace = "kube-system";
    public const string DaemonSet = "weave-net";
    public const string Image = "localhost/weave:0.1.0";
    public const string PodRange = "10.32.0.0/12";

    public static string ImageTar => Path.Combine(Repo.Root, "out", "weave-image.tar");

    public static string Manifest => File.ReadAllText(Path.Combine(Repo.Root, "deploy", "weave-daemonset.yaml"));

    public static string ResetManifest => File.ReadAllText(Path.Combine(Repo.Root, "deploy", "weave-reset.yaml"));

    public static string RequireImage() => File.Exists(ImageTar)
        ? ImageTar
        : throw new FileNotFoundException($"{ImageTar} does not exist: run sudo ./build.sh image (test.sh does)", ImageTar);

    /// <summary>A cluster whose kube-proxy knows the pod range, with the add-on's image imported on every node.</summary>
    public static KubeCluster StartCluster(int nodes, Action<string> log, string podRange = PodRange) => KubeCluster.Start(new KubeClusterOptions
    {
        NodeCount = nodes,
        ClusterCidr = podRange,
        Images = [RequireImage()],
        Log = log,
    });

    /// <summary><c>kubectl apply -f deploy/weave-daemonset.yaml</c> (or a variant), then waits for the DaemonSet and the nodes.</summary>
    public static void Install(KubeCluster cluster, string? manifest = null)
    {
        cluster.Apply(manifest ?? Manifest);
        cluster.WaitForDaemonSet(Namespace, DaemonSet, TimeSpan.FromMinutes(3));
        cluster.WaitForNodesReady(TimeSpan.FromMinutes(2));
    }

    /// <summary>The add-on's pod on <paramref name="node"/> (null when there is none).</summary>
    public static string? PodOn(KubeCluster cluster, string node)
    {
        string names = cluster.Kubectl("-n", Namespace, "get", "pods", "-l", "name=" + DaemonSet, "--field-selector", "spec.nodeName=" + node,
            "-o", "jsonpath={.items[*].metadata.name}").EnsureSuccess().Stdout.Trim();
        return names.Length == 0 ? null : names.Split(' ')[0];
    }

    /// <summary>The weave CLI inside the add-on's pod on <paramref name="node"/>: <c>kubectl exec ... -- weave ARGS</c>.</summary>
    public static CommandResult Weave(KubeCluster cluster, string node, params string[] args)
    {
        string pod = PodOn(cluster, node) ?? throw new InvalidOperationException($"no {DaemonSet} pod on {node}");
        return cluster.Kubectl(["-n", Namespace, "exec", pod, "-c", "weave", "--", "weave", .. args]);
    }

    public static string Logs(KubeCluster cluster, string pod, bool previous = false) =>
        cluster.Kubectl(["-n", Namespace, "logs", pod, "-c", "weave", .. previous ? ["--previous"] : Array.Empty<string>()]).Stdout;

    /// <summary>A busybox pod pinned to a node, running <paramref name="command"/> (default: sleeping).</summary>
    public static string Pod(string name, string node, string command = "sleep 3600", string labels = "{}") => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{name}}, namespace: default, labels: {{labels}}}
        spec:
          nodeSelector: {kubernetes.io/hostname: {{node}}}
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: {{KubeImages.Busybox}}
            imagePullPolicy: Never
            command: ["sh", "-c", "{{command}}"]
        """;

    public static IPAddress PodIp(KubeCluster cluster, string name) =>
        IPAddress.Parse(cluster.Kubectl("get", "pod", name, "-o", "jsonpath={.status.podIP}").EnsureSuccess().Stdout.Trim());

    public static CommandResult InPod(KubeCluster cluster, string pod, params string[] args) =>
        cluster.Kubectl(["exec", pod, "--", .. args]);

    public static void AssertInRange(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        Assert.True(b[0] == 10 && (b[1] & 0xf0) == 32, $"{address} is not in the pod range {PodRange}");
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
