using System.Text;
using Weave.Kube.Api;

namespace Weave.Kube.Peers;

/// <summary>
/// The ConfigMap <c>weave-net</c> in the add-on's namespace, where the routers keep their peer
/// list and their reclaim locks as annotations (Weave Net's keys, so an operator who knew Weave
/// finds them). The API server is the point of agreement: every change is read-modify-write with
/// the object's resource version, retried when another router changed it first.
/// </summary>
public sealed class PeerRegistry
{
    public const string ConfigMapName = "weave-net";
    public const string AnnotationPrefix = "kube-peers.weave.works/";
    public const string PeersKey = AnnotationPrefix + "peers";

    /// <summary>Attempts of one change against routers changing the map at the same time.</summary>
    private const int MaxAttempts = 20;

    private readonly IKubeApi _api;
    private readonly string _namespace;
    private readonly TimeProvider _time;
    private readonly Random _random;

    public PeerRegistry(IKubeApi api, string @namespace, TimeProvider time, Random random)
    {
        _api = api;
        _namespace = @namespace;
        _time = time;
        _random = random;
    }

    /// <summary>Where the map lives, for log lines: <c>kube-system/weave-net</c>.</summary>
    public string Where => $"{_namespace}/{ConfigMapName}";

    /// <summary>The annotation that says which router is reclaiming <paramref name="peerName"/>.</summary>
    /// <remarks>Annotation names allow only letters, digits, '-', '_' and '.': a peer name's colons become '_', as Weave did.</remarks>
    public static string LockKey(string peerName)
    {
        var key = new StringBuilder(AnnotationPrefix, AnnotationPrefix.Length + peerName.Length);
        foreach (char c in peerName)
        {
            key.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }
        return key.ToString();
    }

    /// <summary>The map, created empty when it does not exist yet.</summary>
    public async Task<KubeConfigMap> GetOrCreateAsync(CancellationToken ct)
    {
        while (true)
        {
            KubeConfigMap? existing = await _api.GetConfigMapAsync(_namespace, ConfigMapName, ct).ConfigureAwait(false);
            if (existing is not null)
            {
                return existing;
            }
            try
            {
                return await _api.CreateConfigMapAsync(new KubeConfigMap
                {
                    Metadata = new ObjectMeta { Name = ConfigMapName, Namespace = _namespace },
                }, ct).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                // Another router created it between our get and our create: read theirs.
            }
        }
    }

    /// <summary>The peer list in the map; an empty list when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The annotation exists but is not a peer list: nothing may be decided from it.</exception>
    public PeerList PeersOf(KubeConfigMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!map.Annotations.TryGetValue(PeersKey, out string? json))
        {
            return PeerList.Empty;
        }
        if (!PeerList.TryParse(json, out PeerList list, out string error))
        {
            throw new InvalidDataException($"annotation {PeersKey} of ConfigMap {Where}: {error}");
        }
        return list;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the latest map and writes it, again on a fresh copy when
    /// another router wrote first. <paramref name="change"/> returns the map to write, the same
    /// instance when nothing needs writing, or null to stop. Returns what was written (or read), or
    /// null when <paramref name="change"/> stopped.
    /// </summary>
    public async Task<KubeConfigMap?> UpdateAsync(Func<KubeConfigMap, KubeConfigMap?> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (int attempt = 1; ; attempt++)
        {
            KubeConfigMap current = await GetOrCreateAsync(ct).ConfigureAwait(false);
            KubeConfigMap? wanted = change(current);
            if (wanted is null || ReferenceEquals(wanted, current))
            {
                return wanted;
            }
            try
            {
                return await _api.UpdateConfigMapAsync(wanted, ct).ConfigureAwait(false);
            }
            catch (KubeApiException e) when ((e.IsConflict || e.IsNotFound) && attempt < MaxAttempts)
            {
                // Someone else changed (or deleted) it since we read it: read again, after a short
                // random pause so racing routers do not collide in step.
                int pause;
                lock (_random)
                {
                    pause = _random.Next(50, 500); // Random is not thread-safe, and several loops update the map
                }
                await Task.Delay(TimeSpan.FromMilliseconds(pause), _time, ct).ConfigureAwait(false);
            }
        }
    }
}
