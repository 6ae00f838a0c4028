using System.Text.RegularExpressions;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// One node, the add-on configured or treated badly, each failure saying why: a bad
/// IPALLOC_RANGE stops the router with one line naming it; a password Secret that does not exist
/// keeps the pod from starting (rather than running unencrypted) until it is created; an RBAC role
/// missing a verb is one log line naming it; an API server down while the router starts is
/// retried, said, and the router comes up once the API is back.
/// </summary>
public sealed partial class AddOnFailures1Tests(ITestOutputHelper output)
{
    [RootFact]
    public void BadRange_MissingSecret_MissingRbacVerb_ApiDownAtStart()
    {
        RootFactAttribute.Require();
        using KubeCluster cluster = AddOn.StartCluster(1, output.WriteLine);

        BadRange_StopsTheRouterWithOneLine(cluster);
        MissingSecret_KeepsThePodFromStarting(cluster);
        MissingWatchVerb_IsOneLineNamingIt(cluster);
        ApiDownAtStart_IsRetriedAndSaid(cluster);
    }

    private string PodAfterApplying(KubeCluster cluster, string manifest)
    {
        cluster.Apply(manifest);
        string? pod = null;
        cluster.WaitFor("the add-on's pod on node1", () => (pod = AddOn.PodOn(cluster, "node1")) is not null);
        output.WriteLine($"pod {pod}");
        return pod!;
    }

    private static void Remove(KubeCluster cluster, string manifest)
    {
        cluster.Delete(manifest);
        cluster.WaitFor("the add-on's pods to be gone", () => AddOn.PodOn(cluster, "node1") is null);
    }

    private void BadRange_StopsTheRouterWithOneLine(KubeCluster cluster)
    {
        string manifest = AddOn.Manifest.Replace("value: 10.32.0.0/12", "value: 10.32.0.0/33", StringComparison.Ordinal);
        string pod = PodAfterApplying(cluster, manifest);
        string log = "";
        cluster.WaitFor("the router to have failed and been restarted", () =>
            RestartCount(cluster, pod) >= 1 && (log = AddOn.Logs(cluster, pod)).Contains("weave:", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        output.WriteLine($"--- log of {pod}\n{log}");
        Assert.Equal(["weave: invalid IPALLOC_RANGE '10.32.0.0/33': '10.32.0.0/33' has no prefix length between 0 and 32"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Remove(cluster, manifest);
    }

    private void MissingSecret_KeepsThePodFromStarting(KubeCluster cluster)
    {
        string manifest = AddOn.Manifest
            .Replace("        # - name: WEAVE_PASSWORD\n", "        - name: WEAVE_PASSWORD\n", StringComparison.Ordinal)
            .Replace("        #   valueFrom: {secretKeyRef: {name: weave-passwd, key: weave-passwd}}\n", "          valueFrom: {secretKeyRef: {name: weave-passwd, key: weave-passwd}}\n", StringComparison.Ordinal);
        Assert.Contains("secretKeyRef: {name: weave-passwd", manifest, StringComparison.Ordinal);
        string pod = PodAfterApplying(cluster, manifest);
        string? why = null;
        cluster.WaitFor("the pod to say the Secret is missing", () =>
            (why = cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o",
                "jsonpath={.status.containerStatuses[?(@.name==\"weave\")].state.waiting.reason}: {.status.containerStatuses[?(@.name==\"weave\")].state.waiting.message}").Stdout)
            .Contains("not found", StringComparison.Ordinal));
        output.WriteLine($"{pod}: {why}");
        Assert.Equal("CreateContainerConfigError: secret \"weave-passwd\" not found", why);

        string secret = File.ReadAllText(Path.Combine(Repo.Root, "deploy", "weave-password-secret.yaml"))
            .Replace("replace me with a long random password", "a test password of the add-on", StringComparison.Ordinal);
        cluster.Apply(secret);
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(2));
        Assert.Contains("Encryption: enabled", AddOn.Weave(cluster, "node1", "status").EnsureSuccess().Stdout, StringComparison.Ordinal);
        Remove(cluster, manifest);
        cluster.Delete(secret);
    }

    private void MissingWatchVerb_IsOneLineNamingIt(KubeCluster cluster)
    {
        string manifest = AddOn.Manifest.Replace("  verbs: [get, list, watch]", "  verbs: [get, list]", StringComparison.Ordinal);
        Assert.NotEqual(AddOn.Manifest, manifest);
        string pod = PodAfterApplying(cluster, manifest);
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(2));
        string log = "";
        cluster.WaitFor("the router to say which verb it misses", () => (log = AddOn.Logs(cluster, pod)).Contains("RBAC", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Thread.Sleep(TimeSpan.FromSeconds(40)); // more attempts fail meanwhile: they are not said again
        log = AddOn.Logs(cluster, pod);
        string[] refusals = [.. log.Split('\n').Where(l => l.Contains("RBAC", StringComparison.Ordinal))];
        output.WriteLine(string.Join('\n', refusals));
        string line = Assert.Single(refusals);
        Assert.Contains("Kubernetes RBAC refused to watch nodes", line, StringComparison.Ordinal);
        Assert.Contains("cannot watch resource \"nodes\"", line, StringComparison.Ordinal);
        Remove(cluster, manifest);
    }

    private void ApiDownAtStart_IsRetriedAndSaid(KubeCluster cluster)
    {
        string pod = PodAfterApplying(cluster, AddOn.Manifest);
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(2));
        string container = cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o",
            "jsonpath={.status.containerStatuses[?(@.name==\"weave\")].containerID}").EnsureSuccess().Stdout.Trim();
        KubeNode node = cluster.Nodes[0];
        string podLogs = Directory.GetDirectories(node.PodLogDirectory, $"kube-system_{pod}_*").Single();

        cluster.StopApiServer();
        // The router dies while the API server is down; the kubelet starts it again on its own.
        node.Ctr("tasks", "kill", "-s", "SIGKILL", container["containerd://".Length..]).EnsureSuccess();
        string restarted = Path.Combine(podLogs, "weave", "1.log");
        cluster.WaitFor("the restarted router to say the API is unreachable", () =>
            File.Exists(restarted) && File.ReadAllText(restarted).Contains("cannot reach the Kubernetes API", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        Thread.Sleep(TimeSpan.FromSeconds(10));
        cluster.StartApiServer();
        cluster.WaitFor("the router to start once the API is back", () => File.ReadAllText(restarted).Contains("Router ", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        cluster.WaitForDaemonSet(AddOn.Namespace, AddOn.DaemonSet, TimeSpan.FromMinutes(2));

        string log = File.ReadAllText(restarted);
        output.WriteLine($"--- {restarted}\n{log}");
        Assert.Single(Regex.Matches(log, "retrying in"));
        Assert.Contains("Kubernetes API v1.20.2", log, StringComparison.Ordinal);
        Assert.Matches(@"Router [0-9a-f:]+\(node1\) ready", log);
    }

    private static int RestartCount(KubeCluster cluster, string pod)
    {
        string count = cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o",
            "jsonpath={.status.containerStatuses[?(@.name==\"weave\")].restartCount}").Stdout.Trim();
        return int.TryParse(count, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : 0;
    }
}
