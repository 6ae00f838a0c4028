using System.Text;
using Weave.Gossip;
using Weave.Gossip.Topology;

namespace Weave.Simulation;

/// <summary>Convergence checks and the failure report.</summary>
public sealed partial class SimulatedMesh
{
    /// <summary>
    /// Every live node has an open connection, accepted at both ends, to every other live node
    /// (judged by the host's connection table, which is what the nodes were told).
    /// </summary>
    public bool IsFullyConnected()
    {
        int live = LiveCount;
        var remotes = new HashSet<int>();
        foreach (SimulatedPeer p in _peers)
        {
            if (!p.IsAlive)
            {
                continue;
            }
            remotes.Clear();
            foreach (SimulatedConnection end in p.OpenEnds)
            {
                if (IsUp(end))
                {
                    remotes.Add(end.Other.Owner.Index);
                }
            }
            if (remotes.Count != live - 1)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The live peers <paramref name="index"/> has an open, accepted connection to, by index.</summary>
    public IReadOnlySet<int> ConnectedTo(int index) =>
        _peers[index].OpenEnds.Where(IsUp).Select(e => e.Other.Owner.Index).ToHashSet();

    /// <summary>Open connections between live peers (each counted once, duplicates between a pair included).</summary>
    public int ConnectionCount => _peers.Where(p => p.IsAlive).Sum(p => p.OpenEnds.Count(e => IsUp(e) && e.Outbound));

    private static bool IsUp(SimulatedConnection end) =>
        !end.Closed && end.Accepted && !end.Link.Cut && end.Other.Accepted && !end.Other.Closed && end.Other.OwnerIsCurrent;

    /// <summary>
    /// Every live node's topology equals the set of live nodes' own records: the same names, no
    /// dead or stale peers, and each record equal (<paramref name="deep"/>: by value, connections
    /// included; otherwise by name, UID and version, which is cheaper for large meshes).
    /// </summary>
    public bool TopologiesAgree(bool deep = true) => TopologyDisagreement(deep) is null;

    /// <summary>Null when <see cref="TopologiesAgree"/> holds, else the first difference found.</summary>
    public string? TopologyDisagreement(bool deep = true)
    {
        var own = new Dictionary<PeerName, PeerRecord>();
        foreach (SimulatedPeer p in _peers)
        {
            if (!p.IsAlive)
            {
                continue;
            }
            if (!p.Node!.Topology.TryGet(p.Name, out PeerRecord? mine) || mine is null)
            {
                return $"peer {p.Index} has no record of itself";
            }
            own.Add(p.Name, mine);
        }
        foreach (SimulatedPeer p in _peers)
        {
            if (!p.IsAlive)
            {
                continue;
            }
            PeerTopology topology = p.Node!.Topology;
            foreach ((PeerName name, PeerRecord expected) in own)
            {
                if (!topology.TryGet(name, out PeerRecord? seen) || seen is null)
                {
                    return $"peer {p.Index} does not know {expected.Display}";
                }
                if (!ReferenceEquals(seen, expected) &&
                    (seen.Uid != expected.Uid || seen.Version != expected.Version || (deep && !seen.Equals(expected))))
                {
                    return $"peer {p.Index} holds {seen} but the owner has {expected}";
                }
            }
            if (topology.Count != own.Count)
            {
                string extra = string.Join(", ", topology.Records.Where(r => !own.ContainsKey(r.Name)).Select(r => r.Display));
                return $"peer {p.Index} lists {topology.Count} peers, {own.Count} are live; extra: {extra}";
            }
        }
        return null;
    }

    /// <summary>Fully connected and topologies agree (deep).</summary>
    public bool Converged() => IsFullyConnected() && TopologiesAgree();

    /// <summary>Throws a <see cref="SimulationException"/> carrying <see cref="Describe"/> unless <paramref name="condition"/> holds.</summary>
    public void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new SimulationException($"{what}\n{Describe()}");
        }
    }

    /// <summary>Runs until fully connected with agreeing topologies, or throws with the report.</summary>
    public TimeSpan RunUntilConverged(TimeSpan limit, string what = "mesh did not converge")
    {
        TimeSpan started = Elapsed;
        bool converged = RunUntil(() => IsFullyConnected() && TopologiesAgree(deep: false), limit);
        if (converged && !TopologiesAgree(deep: true))
        {
            converged = RunUntil(Converged, limit - (Elapsed - started));
        }
        if (!converged)
        {
            throw new SimulationException($"{what} within {limit.TotalSeconds} s: " +
                $"{(IsFullyConnected() ? "fully connected" : "not fully connected")}; {TopologyDisagreement() ?? "topologies agree"}\n{Describe()}");
        }
        return Elapsed - started;
    }

    /// <summary>Everything needed to understand and replay a run: seed, options, schedule, state and the latest events.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine($"simulation seed {Seed} (replay: {SeedVariable}={Seed}), at +{FormatElapsed(Elapsed)}, {EventCount} events, trace hash {TraceHash:x16}");
        text.AppendLine($"options: {Options}");
        text.AppendLine($"peers: {_peers.Count} ({LiveCount} live); counters: {Counters.Summary()}");
        text.AppendLine($"schedule ({_schedule.Count} operations):");
        foreach (string op in _schedule.TakeLast(200))
        {
            text.AppendLine($"  {op}");
        }
        if (_violations.Count > 0)
        {
            text.AppendLine($"contract violations ({_violations.Count}):");
            foreach (string v in _violations.Take(20))
            {
                text.AppendLine($"  {v}");
            }
        }
        if (_peers.Count <= 12)
        {
            text.AppendLine("connections:");
            foreach (SimulatedPeer p in _peers.Where(p => p.IsAlive))
            {
                text.AppendLine($"  {p}: [{string.Join(",", ConnectedTo(p.Index).Order())}] topology {p.Node!.Topology.Count} peers");
            }
        }
        if (_traceLines.Count > 0)
        {
            text.AppendLine("latest events:");
            foreach (string line in _traceLines)
            {
                text.AppendLine($"  {line}");
            }
        }
        return text.ToString();
    }
}
