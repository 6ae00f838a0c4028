using System.Globalization;
using Weave.KubeLab;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// The process of a pod's container, found through its node's containerd: the pod's status names
/// the container (<c>containerd://ID</c>), and <c>ctr task ls</c> lists each task's pid. The
/// nodes share the machine's pid namespace, so <c>/proc/PID/ns/net</c> is the pod's network namespace.
/// </summary>
internal static class PodProcess
{
    public static int Find(KubeNode node, string containerId)
    {
        const string Prefix = "containerd://";
        if (!containerId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"container ID {containerId} is not containerd's");
        }
        string id = containerId[Prefix.Length..];
        // TASK  PID  STATUS
        foreach (string line in node.Ctr("task", "ls").EnsureSuccess().Stdout.Split('\n'))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length == 3 && columns[0] == id && columns[2] == "RUNNING")
            {
                return int.Parse(columns[1], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"{node.Name}'s containerd has no running task {id}");
    }
}
