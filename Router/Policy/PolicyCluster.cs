using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Npc;

namespace Weave.Router.Policy;

/// <summary>
/// The controller's copy of the cluster's namespaces, pods and NetworkPolicies, fed by the three
/// <see cref="ResourceFollower"/>s. Each object is parsed once, where it enters; one that cannot be
/// read is left out and remembered with its reason (reported once per reason), so that one bad
/// object never stops the others. Finished pods are left out. Owned by the controller's loop.
/// </summary>
internal sealed class PolicyCluster
{
    private readonly ObjectTable<ClusterNamespace> _namespaces = new(KubeResource.Namespaces, namespaced: false, ReadNamespace);
    private readonly ObjectTable<Pod> _pods = new(KubeResource.Pods, namespaced: true, ReadPod);
    private readonly ObjectTable<NetworkPolicy> _policies = new(KubeResource.NetworkPolicies, namespaced: true, ReadPolicy);
    private readonly Action<RefusedObject> _refused;
    private long _generation;
    private PolicySnapshot? _snapshot;

    /// <param name="refused">Told of each newly refused object (or a new reason): the log line and the metric.</param>
    public PolicyCluster(Action<RefusedObject> refused) => _refused = refused;

    /// <summary>Every kind has been listed at least once: only then is the picture complete enough to enforce.</summary>
    public bool Synced => _namespaces.Listed && _pods.Listed && _policies.Listed;

    /// <summary>Takes in one update; true when what policy sees changed.</summary>
    public bool Apply(ResourceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        bool changed = update.Resource.Name switch
        {
            "namespaces" => _namespaces.Apply(update, _refused),
            "pods" => _pods.Apply(update, _refused),
            "networkpolicies" => _policies.Apply(update, _refused),
            _ => false,
        };
        if (changed)
        {
            _generation++;
        }
        _snapshot = null; // refusals may have changed even when the objects did not
        return changed;
    }

    public PolicySnapshot Snapshot() => _snapshot ??= new PolicySnapshot(_generation,
        _namespaces.Values(), _pods.Values(), _policies.Values(),
        [.. _namespaces.Refusals(), .. _pods.Refusals(), .. _policies.Refusals()]);

    private static bool ReadNamespace(JsonElement json, [NotNullWhen(true)] out ClusterNamespace? ns, out string reason) =>
        NamespaceParser.TryParse(json, out ns, out reason);

    private static bool ReadPod(JsonElement json, [NotNullWhen(true)] out Pod? pod, out string reason) =>
        PodParser.TryParse(json, out pod, out reason);

    private static bool ReadPolicy(JsonElement json, [NotNullWhen(true)] out NetworkPolicy? policy, out string reason) =>
        NetworkPolicyParser.TryParse(json, out policy, out reason);

    private delegate bool Reader<T>(JsonElement json, [NotNullWhen(true)] out T? value, out string reason);

    /// <summary>One kind's objects by key (namespace/name, or name), and its refused ones.</summary>
    private sealed class ObjectTable<T>(KubeResource resource, bool namespaced, Reader<T> read)
        where T : class
    {
        private Dictionary<string, T> _valid = new(StringComparer.Ordinal);
        private Dictionary<string, string> _refused = new(StringComparer.Ordinal);

        public bool Listed { get; private set; }

        public ImmutableArray<T> Values() => [.. _valid.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)];

        public IEnumerable<RefusedObject> Refusals() =>
            _refused.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new RefusedObject(resource.Name, p.Key, p.Value));

        public bool Apply(ResourceUpdate update, Action<RefusedObject> refused)
        {
            if (update.Listed is { } items)
            {
                var valid = new Dictionary<string, T>(StringComparer.Ordinal);
                var refusals = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (JsonElement item in items)
                {
                    Read(item, valid, refusals, refused);
                }
                bool changed = !Listed || valid.Count != _valid.Count
                    || valid.Any(p => !_valid.TryGetValue(p.Key, out T? old) || !old.Equals(p.Value));
                (_valid, _refused, Listed) = (valid, refusals, true);
                return changed;
            }
            KubeObjectEvent change = update.Change!;
            string key = KeyOf(change.Item);
            _valid.TryGetValue(key, out T? before);
            if (change.Kind == KubeEventKind.Deleted)
            {
                _valid.Remove(key);
                _refused.Remove(key);
            }
            else
            {
                Read(change.Item, _valid, _refused, refused);
            }
            _valid.TryGetValue(key, out T? after);
            return !Equals(before, after);
        }

        private void Read(JsonElement item, Dictionary<string, T> valid, Dictionary<string, string> refusals, Action<RefusedObject> refused)
        {
            string key = KeyOf(item);
            if (typeof(T) == typeof(Pod) && PodParser.IsFinished(item))
            {
                valid.Remove(key);
                refusals.Remove(key);
                return;
            }
            if (read(item, out T? value, out string reason))
            {
                valid[key] = value;
                refusals.Remove(key);
                return;
            }
            valid.Remove(key);
            // Told once per object and reason: a relist, or the object's status changing, repeats nothing.
            if (!_refused.TryGetValue(key, out string? known) || known != reason)
            {
                refused(new RefusedObject(resource.Name, key, reason));
            }
            refusals[key] = reason;
        }

        /// <summary>namespace/name (or name), read leniently: the key of an object the parser refuses too.</summary>
        private string KeyOf(JsonElement item)
        {
            string name = "", ns = "";
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object)
            {
                name = meta.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "";
                ns = meta.TryGetProperty("namespace", out JsonElement s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "";
            }
            return namespaced ? ns + "/" + name : name;
        }
    }
}
