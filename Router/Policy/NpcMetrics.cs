using Weave.Npc;
using Weave.Router.Api;

namespace Weave.Router.Policy;

/// <summary>
/// The controller's Prometheus metrics: denied packets per pod and per isolating policy (from the
/// table's drop counters; each counts the first packets of refused connections, replies of allowed
/// ones are never counted), the objects it had to skip, and how its writes go.
/// </summary>
internal static class NpcMetrics
{
    public static IEnumerable<MetricFamily> From(PolicySnapshot snapshot, NpcStatus status, DropTally drops, ProcessStats? process)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(drops);
        yield return new MetricFamily("weave_npc_denied_packets_total",
            "Packets of new connections dropped by NetworkPolicy at a pod of this node, by pod and direction.", "counter",
            [.. drops.ByPod().Select(d => new MetricSample([("direction", Direction(d.Direction)), ("namespace", d.Namespace), ("pod", d.Pod)], d.Packets))]);
        yield return new MetricFamily("weave_npc_policy_denied_packets_total",
            "Packets of new connections dropped at a pod of this node that the policy isolates (a drop counts for each policy isolating the pod).", "counter",
            [.. drops.ByPolicy().Select(d => new MetricSample([("direction", Direction(d.Direction)), ("namespace", d.Namespace), ("policy", d.Policy)], d.Packets))]);
        yield return new MetricFamily("weave_npc_objects", "Objects the controller enforces from, by kind.", "gauge",
        [
            new MetricSample([("resource", "namespaces")], snapshot.Namespaces.Length),
            new MetricSample([("resource", "pods")], snapshot.Pods.Length),
            new MetricSample([("resource", "networkpolicies")], snapshot.Policies.Length),
        ]);
        yield return new MetricFamily("weave_npc_refused_objects", "Objects skipped because they could not be read (the log says why), by kind.", "gauge",
            [.. ((string[])["namespaces", "pods", "networkpolicies"]).Select(r => new MetricSample([("resource", r)], snapshot.Refused.Count(o => o.Resource == r)))]);
        yield return MetricFamily.Counter("weave_npc_refusals_total", "Times an object (or a new version of it) was skipped as unreadable.", status.Refusals);
        yield return MetricFamily.Gauge("weave_npc_synced", "1 once namespaces, pods and policies have all been listed.", status.Synced ? 1 : 0);
        yield return MetricFamily.Counter("weave_npc_applies_total", "nft transactions that changed the policy table.", status.Applies);
        yield return MetricFamily.Counter("weave_npc_apply_failures_total", "nft transactions refused (the table stayed as it was).", status.ApplyFailures);
        yield return MetricFamily.Counter("weave_npc_table_restores_total", "Times the table was found removed and written again.", status.TableRestores);
        yield return MetricFamily.Gauge("weave_npc_last_apply_seconds", "Time from computing to the kernel holding the last change.", status.LastApplySeconds);
        if (process is not null)
        {
            yield return MetricFamily.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.ResidentBytes);
            yield return MetricFamily.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", process.CpuSeconds);
        }
    }

    private static string Direction(FlowDirection direction) => direction == FlowDirection.Ingress ? "ingress" : "egress";
}
