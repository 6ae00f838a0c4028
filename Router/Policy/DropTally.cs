using Weave.Npc;
using Weave.Npc.Enforcement;

namespace Weave.Router.Policy;

/// <summary>
/// Denied packets since the controller started, per pod and direction and per isolating policy,
/// kept monotonic for Prometheus: the kernel's counters restart when a chain is created again or
/// the table is replaced, so each reading adds only what grew (or, after a restart, the new count).
/// A drop counts for every policy isolating the pod: any of them, alone, would have denied it.
/// </summary>
internal sealed class DropTally
{
    private readonly Dictionary<string, long> _lastRaw = new(StringComparer.Ordinal);
    private readonly Dictionary<(FlowDirection, string Namespace, string Pod), long> _byPod = [];
    private readonly Dictionary<(FlowDirection, string Namespace, string Policy), long> _byPolicy = [];
    private readonly Lock _gate = new();

    public void Add(EnforcementPlan plan, IReadOnlyDictionary<string, long> counters)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(counters);
        lock (_gate)
        {
            foreach ((string chainName, long raw) in counters)
            {
                long last = _lastRaw.GetValueOrDefault(chainName);
                long grown = raw >= last ? raw - last : raw;
                _lastRaw[chainName] = raw;
                if (grown == 0 || !plan.Chains.TryGetValue(chainName, out PodChain? chain))
                {
                    continue;
                }
                var podKey = (chain.Direction, chain.Pod.Namespace, chain.Pod.Name);
                _byPod[podKey] = _byPod.GetValueOrDefault(podKey) + grown;
                foreach (string policy in chain.IsolatedBy)
                {
                    int slash = policy.IndexOf('/', StringComparison.Ordinal);
                    var policyKey = (chain.Direction, policy[..Math.Max(0, slash)], policy[(slash + 1)..]);
                    _byPolicy[policyKey] = _byPolicy.GetValueOrDefault(policyKey) + grown;
                }
            }
            foreach (string gone in _lastRaw.Keys.Where(k => !counters.ContainsKey(k)).ToList())
            {
                _lastRaw.Remove(gone);
            }
        }
    }

    public IReadOnlyList<(FlowDirection Direction, string Namespace, string Pod, long Packets)> ByPod()
    {
        lock (_gate)
        {
            return [.. _byPod.OrderBy(p => p.Key).Select(p => (p.Key.Item1, p.Key.Namespace, p.Key.Pod, p.Value))];
        }
    }

    public IReadOnlyList<(FlowDirection Direction, string Namespace, string Policy, long Packets)> ByPolicy()
    {
        lock (_gate)
        {
            return [.. _byPolicy.OrderBy(p => p.Key).Select(p => (p.Key.Item1, p.Key.Namespace, p.Key.Policy, p.Value))];
        }
    }
}
