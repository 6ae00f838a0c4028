using Weave.Gossip;
using Weave.Gossip.Topology;

namespace Weave.Simulation;

/// <summary>The clusters' view check: what each node believes about the clusters of the mesh.</summary>
public sealed partial class SimulatedMesh
{
    /// <summary>
    /// Every live node's topology shows exactly the clusters of the live peers, each with its range
    /// and the names of its live peers. Records agreeing by name, UID and version do not prove it
    /// (<see cref="TopologiesAgree"/> without deep), since a record's cluster could be lost on the
    /// way; this compares what the records say.
    /// </summary>
    public bool ClusterViewsAgree() => ClusterViewDisagreement() is null;

    /// <summary>Null when <see cref="ClusterViewsAgree"/> holds, else the first difference found.</summary>
    public string? ClusterViewDisagreement()
    {
        Dictionary<string, ClusterMembers> expected = ClustersOf(LivePeers.Select(p => (p.Name, p.Cluster)), out string? conflict);
        if (conflict is not null)
        {
            return $"the live peers themselves: {conflict}";
        }
        foreach (SimulatedPeer observer in LivePeers)
        {
            Dictionary<string, ClusterMembers> seen = ClustersOf(observer.LiveNode.Topology.Records.Select(r => (r.Name, r.Cluster)), out conflict);
            if (conflict is not null)
            {
                return $"peer {observer.Index}: {conflict}";
            }
            foreach ((string name, ClusterMembers want) in expected)
            {
                if (!seen.TryGetValue(name, out ClusterMembers? got))
                {
                    return $"peer {observer.Index} does not know cluster {name}";
                }
                if (got.Range != want.Range)
                {
                    return $"peer {observer.Index} sees cluster {name} with range {got.Range?.ToString() ?? "none"}, not {want.Range?.ToString() ?? "none"}";
                }
                if (!got.Peers.SetEquals(want.Peers))
                {
                    return $"peer {observer.Index} sees {got.Peers.Count} peers in cluster {name}, not the {want.Peers.Count} live ones";
                }
            }
            if (seen.Count != expected.Count)
            {
                return $"peer {observer.Index} knows clusters {string.Join(", ", seen.Keys.Except(expected.Keys))} that no live peer is in";
            }
        }
        return null;
    }

    /// <summary>Peers grouped by cluster name ("" for peers that name none); a name seen with two ranges is a conflict.</summary>
    private static Dictionary<string, ClusterMembers> ClustersOf(IEnumerable<(PeerName Name, ClusterIdentity? Cluster)> peers, out string? conflict)
    {
        conflict = null;
        var clusters = new Dictionary<string, ClusterMembers>(StringComparer.Ordinal);
        foreach ((PeerName name, ClusterIdentity? cluster) in peers)
        {
            string key = cluster?.Name ?? "";
            if (!clusters.TryGetValue(key, out ClusterMembers? members))
            {
                members = new ClusterMembers(cluster?.Range);
                clusters.Add(key, members);
            }
            else if (members.Range != cluster?.Range)
            {
                conflict ??= $"cluster {key} has ranges {members.Range?.ToString() ?? "none"} and {cluster?.Range?.ToString() ?? "none"}";
            }
            members.Peers.Add(name);
        }
        return clusters;
    }

    private sealed record ClusterMembers(System.Net.IPNetwork? Range)
    {
        public HashSet<PeerName> Peers { get; } = [];
    }
}
