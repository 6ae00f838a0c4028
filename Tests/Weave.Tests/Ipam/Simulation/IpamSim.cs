using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Ipam;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// A deterministic world of allocators in 1–4 clusters: virtual time, one seeded
/// <see cref="Random"/>, and a mesh that delivers unicasts, broadcasts and gossip in random order,
/// with loss, duplication and partitions, relayed by replicas of any cluster but handed only to
/// allocators of the sender's cluster; allocators crash (their store survives) and restart.
/// <see cref="CheckSafety"/> is what every step must keep: no address held twice, none outside its
/// cluster's range, no overlapping ownership, rings valid and naming only their cluster's peers.
/// </summary>
internal sealed partial class IpamSim
{
    public const string SeedVariable = "WEAVE_IPAM_SEED";
    private const string ClustersPrefix = "clusters:";
    private const int TraceLines = 80;

    private readonly Queue<string> _trace = new();
    private readonly Dictionary<PeerName, SimReplica> _byName = [];
    private readonly Dictionary<(int Replica, string Id), int> _releases = [];
    private readonly Func<SimReplica, IpamOptions, IpamOptions>? _optionsFor;
    private ulong _nextUid = 1;

    public IpamSim(int seed, IpamSimParameters parameters, Func<SimReplica, IpamOptions, IpamOptions>? optionsFor = null, SimFaults faults = SimFaults.None)
    {
        _optionsFor = optionsFor;
        Seed = seed;
        Parameters = parameters;
        Faults = faults;
        Random = new Random(seed);
        Time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clusterOf = new SimCluster?[parameters.Replicas];
        foreach (SimClusterSpec spec in parameters.Clusters)
        {
            var options = new IpamOptions(spec.Range, spec.Init([.. spec.Members.Select(NameOf)])) { RequestTimeout = TimeSpan.FromSeconds(30) };
            var cluster = new SimCluster(spec, options);
            Clusters.Add(cluster);
            foreach (int member in spec.Members)
            {
                if (member < 0 || member >= clusterOf.Length || clusterOf[member] is not null)
                {
                    throw new ArgumentException($"replica {member} is outside 0..{clusterOf.Length - 1} or in two clusters", nameof(parameters));
                }
                clusterOf[member] = cluster;
            }
        }
        for (int i = 0; i < parameters.Replicas; i++)
        {
            SimCluster cluster = clusterOf[i] ?? throw new ArgumentException($"replica {i} is in no cluster", nameof(parameters));
            var replica = new SimReplica(this, i, NameOf(i), cluster);
            cluster.Add(replica);
            Replicas.Add(replica);
            _byName[replica.Name] = replica;
        }
        foreach (SimReplica r in Replicas)
        {
            Start(r);
        }
        PeersChanged();
    }

    /// <summary>What the host does when the mesh's topology changes.</summary>
    public void PeersChanged()
    {
        foreach (SimReplica r in LiveReplicas.ToList())
        {
            r.Allocator!.OnPeersChanged();
        }
    }

    public static PeerName NameOf(int index) => new(0x0200_0000_0000UL + ((ulong)(index * 7919 % 1000) << 8) + (ulong)index);

    public int Seed { get; }
    public IpamSimParameters Parameters { get; }
    public SimFaults Faults { get; }
    public Random Random { get; }
    public FakeTimeProvider Time { get; }
    public List<SimCluster> Clusters { get; } = [];
    public List<SimReplica> Replicas { get; } = [];
    public int Steps { get; private set; }
    public int RefusedRings { get; private set; }
    public int RejectedMessages { get; private set; }
    public int Donations { get; private set; }
    public int Removals { get; private set; }

    /// <summary>What a replay names this schedule by: its seed, prefixed for a schedule of several clusters.</summary>
    public string ReplayKey => Parameters.Kind == ScheduleKind.Clusters ? ClustersPrefix + Seed.ToString(CultureInfo.InvariantCulture) : Seed.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first refusal or rejection an allocator logged, which a safe run never has.</summary>
    private string? _firstRefusal;

    public IEnumerable<SimReplica> LiveReplicas => Replicas.Where(r => r.Live);

    public SimReplica? ByName(PeerName name) => _byName.GetValueOrDefault(name);

    /// <summary>Parses a <see cref="SeedVariable"/> value: <c>123</c> (one cluster) or <c>clusters:123</c>.</summary>
    public static bool TryParseReplayKey(string text, out ScheduleKind kind, out int seed, out string error)
    {
        kind = text.StartsWith(ClustersPrefix, StringComparison.Ordinal) ? ScheduleKind.Clusters : ScheduleKind.OneCluster;
        string number = kind == ScheduleKind.Clusters ? text[ClustersPrefix.Length..] : text;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            error = $"{SeedVariable}='{text}' is not a schedule's seed: expected a number, or {ClustersPrefix} and a number";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>Runs the schedule a replay key names.</summary>
    public static IpamSim Replay(ScheduleKind kind, int seed) => kind == ScheduleKind.Clusters ? RunClusters(seed) : Run(seed);

    public void Trace(string line)
    {
        _trace.Enqueue($"[{Steps}] {line}");
        if (_trace.Count > TraceLines)
        {
            _trace.Dequeue();
        }
    }

    public void OnLog(SimReplica replica, IpamLogEventArgs e)
    {
        if (e.EventId is 3010 or 3011)
        {
            _firstRefusal ??= $"{replica}: {e.Message}";
        }
        if (e.EventId == 3010)
        {
            RejectedMessages++;
        }
        if (e.EventId == 3011)
        {
            RefusedRings++;
        }
        if (e.EventId == 3030)
        {
            Donations++;
        }
        if (e.Level >= IpamLogLevel.Warning)
        {
            Trace($"{replica} log {e}");
        }
    }

    public Exception Fail(string message)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"IPAM simulation failed (seed {Seed}; replay with {SeedVariable}={ReplayKey}");
        text.AppendLine(Faults == SimFaults.None ? "): " + message : $", and the test-only fault {Faults}): {message}");
        text.AppendLine(CultureInfo.InvariantCulture, $"parameters: {Parameters}");
        foreach (string line in _trace)
        {
            text.AppendLine(line);
        }
        return new Xunit.Sdk.XunitException(text.ToString());
    }

    public void Start(SimReplica r)
    {
        r.Start(_optionsFor?.Invoke(r, r.Cluster.Options) ?? r.Cluster.Options, Time, Random.Next(), _nextUid++);
    }

    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        foreach (SimReplica r in LiveReplicas.ToList())
        {
            r.Allocator!.Tick();
        }
    }

    public void NoteRelease(SimReplica r, string id) => _releases[(r.Index, id)] = _releases.GetValueOrDefault((r.Index, id)) + 1;

    public int Releases(SimReplica r, string id) => _releases.GetValueOrDefault((r.Index, id));

    public void NextStep() => Steps++;
}
