using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// Waiting for the cluster to reach a state. Each poll also checks that no daemon of the cluster
/// has died (a dead kubelet fails the wait at once, with its log), and a timeout fails with what a
/// person would look at first: nodes, pods, events, the objects concerned and the nodes' logs.
/// </summary>
public sealed partial class KubeCluster
{
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Waits until every running node has a Node object (Ready or not).</summary>
    public void WaitForNodesRegistered(TimeSpan? timeout = null)
    {
        string[] names = [.. Nodes.Where(n => n.IsRunning).Select(n => n.Name)];
        WaitFor($"{names.Length} node(s) to register", () => NodeReadiness() is var nodes && names.All(nodes.ContainsKey), timeout, "describe", "nodes");
    }

    /// <summary>
    /// Waits until the Node object shows <paramref name="node"/>'s current boot ID: kubelet has
    /// registered it (again, if it was deleted) or reported this boot's status. A Node object left
    /// from before a stop is not enough, as it would be for <see cref="WaitForNodesRegistered"/>.
    /// </summary>
    internal void WaitForBoot(KubeNode node, TimeSpan? timeout = null)
    {
        string bootId = node.BootId;
        WaitFor($"{node.Name} to register boot {bootId}", () =>
        {
            using JsonDocument json = GetJson("/api/v1/nodes/" + node.Name); // a 404 throws: WaitFor's "not yet"
            return json.RootElement.TryGetProperty("status", out JsonElement status)
                && status.TryGetProperty("nodeInfo", out JsonElement info)
                && info.TryGetProperty("bootID", out JsonElement reported)
                && reported.GetString() == bootId;
        }, timeout, "describe", "node/" + node.Name);
    }

    /// <summary>Waits until every running node is Ready (the add-on's CNI config is in place).</summary>
    public void WaitForNodesReady(TimeSpan? timeout = null)
    {
        string[] names = [.. Nodes.Where(n => n.IsRunning).Select(n => n.Name)];
        WaitFor($"{names.Length} node(s) to be Ready", () => NodeReadiness() is var nodes && names.All(n => nodes.GetValueOrDefault(n)), timeout, "describe", "nodes");
    }

    /// <summary>
    /// Waits until a DaemonSet is rolled out: the controller has seen its latest spec, and on every
    /// node it is meant for (at least one) an up-to-date pod is available.
    /// </summary>
    public void WaitForDaemonSet(string ns, string name, TimeSpan? timeout = null)
    {
        WaitFor($"daemonset {ns}/{name} to roll out", () =>
        {
            using JsonDocument ds = GetJson($"/apis/apps/v1/namespaces/{ns}/daemonsets/{name}");
            JsonElement status = ds.RootElement.GetProperty("status");
            long generation = ds.RootElement.GetProperty("metadata").GetProperty("generation").GetInt64();
            int desired = Int(status, "desiredNumberScheduled");
            return Int(status, "observedGeneration") >= generation && desired > 0
                && Int(status, "updatedNumberScheduled") == desired && Int(status, "numberAvailable") == desired;
        }, timeout, "-n", ns, "describe", "daemonset/" + name);
    }

    /// <summary>Waits until a pod is Ready; fails at once if it has ended (phase Failed or Succeeded).</summary>
    public void WaitForPodReady(string ns, string name, TimeSpan? timeout = null)
    {
        WaitFor($"pod {ns}/{name} to be Ready", () =>
        {
            using JsonDocument pod = GetJson($"/api/v1/namespaces/{ns}/pods/{name}");
            JsonElement status = pod.RootElement.GetProperty("status");
            string? phase = status.TryGetProperty("phase", out JsonElement p) ? p.GetString() : null;
            if (phase is "Failed" or "Succeeded")
            {
                throw new InvalidOperationException($"pod {ns}/{name} has ended ({phase}):\n{Diagnostics("-n", ns, "describe", "pod/" + name)}");
            }
            return IsConditionTrue(status, "Ready");
        }, timeout, "-n", ns, "describe", "pod/" + name);
    }

    /// <summary>
    /// How long deleting a pod may take. Kubelet 1.20 lets a deleted pod's object go only once its
    /// sandbox is removed, and removes the sandbox when it sees the last container removed and the
    /// pod's status already says no container runs. When the container's removal overtakes that
    /// status (a race between kubelet's relist and its pod worker, most runs on two cores), the
    /// sandbox waits for the container collection, which runs once a minute: up to 60 s more.
    /// </summary>
    public static readonly TimeSpan PodDeletionTimeout = TimeSpan.FromSeconds(150);

    /// <summary><c>kubectl delete pod --wait=true</c> with <see cref="PodDeletionTimeout"/>; throws when it fails.</summary>
    public CommandResult DeletePods(string ns, params string[] names) =>
        Kubectl(PodDeletionTimeout, ["-n", ns, "delete", "pod", .. names, "--wait=true"]).EnsureSuccess();

    /// <summary>
    /// Polls <paramref name="condition"/> (API errors count as "not yet") until it holds; throws a
    /// <see cref="TimeoutException"/> with <see cref="Diagnostics"/> (and the output of <c>kubectl
    /// <paramref name="inspect"/></c>, e.g. <c>-n kube-system describe ds/weave-net</c>) when it
    /// still does not after <paramref name="timeout"/> (default <see cref="DefaultWaitTimeout"/>).
    /// </summary>
    public void WaitFor(string what, Func<bool> condition, TimeSpan? timeout = null, params string[] inspect)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeSpan limit = timeout ?? DefaultWaitTimeout;
        var clock = Stopwatch.StartNew();
        string? lastError = null;
        while (true)
        {
            EnsureRunning();
            try
            {
                if (condition())
                {
                    Log($"{what}: done after {clock.Elapsed.TotalSeconds:F1} s");
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                lastError = e.Message;
            }
            catch (KeyNotFoundException e)
            {
                lastError = "unexpected JSON: " + e.Message; // a field the API has not filled in yet
            }
            if (clock.Elapsed >= limit)
            {
                throw new TimeoutException(
                    $"waited {limit.TotalSeconds:F0} s for {what}" + (lastError is null ? "" : $" (last error: {lastError})") + "\n" + Diagnostics(inspect));
            }
            Thread.Sleep(s_pollInterval);
        }
    }

    /// <summary>
    /// What to look at when something is not as expected: nodes, pods, recent events, the output of
    /// <c>kubectl <paramref name="inspect"/></c> when given, and the end of every node's kubelet
    /// and containerd logs.
    /// </summary>
    public string Diagnostics(params string[] inspect)
    {
        var text = new StringBuilder();
        void Section(string title, string body) => text.Append("--- ").Append(title).Append(" ---\n").Append(body.TrimEnd()).Append('\n');
        void Kubectl(params string[] args)
        {
            var result = this.Kubectl(TimeSpan.FromSeconds(20), args);
            Section("kubectl " + string.Join(' ', args), result.Succeeded ? result.Stdout : result.ToString());
        }
        try
        {
            Kubectl("get", "nodes", "-o", "wide");
            Kubectl("get", "pods", "-A", "-o", "wide");
            Kubectl("get", "events", "-A", "--sort-by=.lastTimestamp");
            if (inspect is { Length: > 0 })
            {
                Kubectl(inspect);
            }
            foreach (KubeDaemon daemon in ControlPlane.All.Where(d => !d.IsRunning))
            {
                Section(daemon.Name + " is not running; its log", KubeDaemon.Tail(daemon.LogPath, 20));
            }
            foreach (KubeNode node in Nodes)
            {
                Section(node.KubeletLog, KubeDaemon.Tail(node.KubeletLog, 25));
                Section(node.ContainerdLog, KubeDaemon.Tail(node.ContainerdLog, 15));
            }
        }
        catch (Exception e)
        {
            Section("collecting diagnostics failed", e.ToString());
        }
        return text.ToString();
    }

    /// <summary>Throws with the log's end if a daemon of the cluster has died (other than one stopped on purpose).</summary>
    private void EnsureRunning()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_controlPlane is ControlPlane controlPlane)
        {
            // While a test keeps the API server down, its clients may give up too, until it is back.
            var mayBeDown = new List<KubeDaemon>();
            if (_apiServerStopped)
            {
                mayBeDown.Add(controlPlane.ApiServer);
            }
            if (_apiClientsMayHaveExited)
            {
                mayBeDown.AddRange([controlPlane.ControllerManager, controlPlane.Scheduler]);
            }
            foreach (KubeDaemon daemon in controlPlane.All.Except(mayBeDown))
            {
                daemon.EnsureRunning();
            }
        }
        foreach (KubeNode node in Nodes)
        {
            node.EnsureRunning();
        }
    }

    private Dictionary<string, bool> NodeReadiness()
    {
        using JsonDocument nodes = GetJson("/api/v1/nodes");
        var readiness = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (JsonElement node in nodes.RootElement.GetProperty("items").EnumerateArray())
        {
            string name = node.GetProperty("metadata").GetProperty("name").GetString() ?? "";
            readiness[name] = node.TryGetProperty("status", out JsonElement status) && IsConditionTrue(status, "Ready");
        }
        return readiness;
    }

    private static bool IsConditionTrue(JsonElement status, string type) =>
        status.TryGetProperty("conditions", out JsonElement conditions)
        && conditions.EnumerateArray().Any(c =>
            c.GetProperty("type").GetString() == type && c.GetProperty("status").GetString() == "True");

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;
}
