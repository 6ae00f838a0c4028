using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Topology;

namespace Weave.Simulation;

/// <summary>
/// A deterministic simulator hosting many <see cref="MeshNode"/>s in one process, after
/// weaveworks/mesh's in-memory gossip tests: one virtual clock (a <see cref="FakeTimeProvider"/>),
/// one discrete-event queue ordered by (time, scheduling sequence), and all randomness drawn from
/// <c>new Random(seed)</c> and per-node <see cref="Random"/>s derived from it. Nothing reads the
/// wall clock or <see cref="Random.Shared"/>, so a seed and a sequence of calls replay exactly:
/// <see cref="TraceHash"/> and <see cref="Counters"/> come out identical.
///
/// <para><b>Peers.</b> Peer <c>i</c> is named <c>02:00:00:xx:xx:xx</c> with <c>i + 1</c> in the
/// low bytes, nicknamed <c>p{i}</c>, and listens at <c>10.a.b.c:6783</c> where a.b.c is
/// <c>i + 1</c> in base 256. <see cref="AddPeer"/> starts a node with other peers' addresses as
/// targets; <see cref="Crash"/> kills it abruptly; <see cref="Restart"/> starts a fresh node (new
/// UID) in its slot; <see cref="Leave"/> stops it gracefully; <see cref="Partition"/> and
/// <see cref="Heal"/> cut and restore the network between groups.</para>
///
/// <para><b>Network.</b> See <see cref="SimulationOptions"/>: latency and jitter, FIFO by default,
/// opt-in loss, duplication and reordering. A dial completes after <c>DialDelay</c> with
/// <c>OnConnected</c> at both ends (the acceptor first) or fails with <c>OnDialFailed</c>.
/// <c>Close</c> reaches the other end after the data sent before it; the closing node is told
/// <c>OnClosed</c> too (at once, as a separate event). Crashes and partitions are noticed by the
/// survivors after <c>FailureDetectionDelay</c>.</para>
///
/// <para><b>Failures and replay.</b> A node throwing, a <c>NextDeadline</c> that never advances, or
/// a failed <see cref="Check"/> raises a <see cref="SimulationException"/> whose message is
/// <see cref="Describe"/>: the seed, the options, the schedule of operations and the last events.
/// To reproduce a failing test, rerun it with the environment variable <c>WEAVE_SIM_SEED</c> set to
/// the printed seed (tests take their seed from <see cref="SeedFromEnvironment"/>); a random
/// schedule from the property test replays with <c>SimulatedMesh.Replay(seed)</c>, which rebuilds
/// the same schedule from the seed (<see cref="RandomScenario"/>).</para>
///
/// <para>Not thread-safe: one thread drives the simulation, and every node is called on it.</para>
/// </summary>
public sealed partial class SimulatedMesh
{
    /// <summary>Set this to a seed to make every simulation test run with it (see <see cref="SeedFromEnvironment"/>).</summary>
    public const string SeedVariable = "WEAVE_SIM_SEED";

    private const ulong NamePrefix = 0x02_00_00_00_00_00UL;

    private readonly Random _master;
    private readonly Random _network;
    private readonly FakeTimeProvider _clock;
    private readonly List<SimulatedPeer> _peers = [];
    private readonly Dictionary<string, SimulatedPeer> _byHost = new(StringComparer.Ordinal);
    private readonly List<string> _schedule = [];
    private readonly List<PeerRemoval> _removals = [];
    private readonly List<string> _violations = [];
    private readonly List<ConnectionRefusal> _refusals = [];
    private int _nextEphemeralPort = 32768;

    public SimulatedMesh(int seed, SimulationOptions? options = null)
    {
        Seed = seed;
        Options = options ?? new SimulationOptions();
        _master = new Random(seed);
        _network = new Random(_master.Next());
        _clock = new FakeTimeProvider(Options.Start);
        _startTicks = Options.Start.UtcTicks;
    }

    public int Seed { get; }
    public SimulationOptions Options { get; }

    /// <summary>The virtual clock every node reads.</summary>
    public TimeProvider Clock => _clock;

    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Simulated time since the start.</summary>
    public TimeSpan Elapsed => Now - Options.Start;

    public IReadOnlyList<SimulatedPeer> Peers => _peers;

    public IEnumerable<SimulatedPeer> LivePeers => _peers.Where(p => p.IsAlive);

    public int LiveCount => _peers.Count(p => p.IsAlive);

    public MeshCounters Counters { get; } = new();

    /// <summary>The operations applied so far (join, crash, restart, leave, partition, heal, Do), each with its simulated time.</summary>
    public IReadOnlyList<string> Operations => _schedule;

    /// <summary>Every <c>PeersRemoved</c> a node raised, in order.</summary>
    public IReadOnlyList<PeerRemoval> Removals => _removals;

    /// <summary>Every connection a node refused in <c>OnConnected</c>, with its reason (the first <see cref="MaxRefusalsKept"/>).</summary>
    public IReadOnlyList<ConnectionRefusal> Refusals => _refusals;

    /// <summary>Refused peers retry for as long as a run lasts: the log of them is bounded.</summary>
    public const int MaxRefusalsKept = 10_000;

    /// <summary>Breaches of the host contract by a node (e.g. refusing without closing, sending after OnClosed).</summary>
    public IReadOnlyList<string> ContractViolations => _violations;

    /// <summary>The running node of peer <paramref name="index"/>.</summary>
    public MeshNode Node(int index) => _peers[index].LiveNode;

    public SimulatedPeer this[int index] => _peers[index];

    /// <summary>The seed in <see cref="SeedVariable"/> if set, else <paramref name="defaultSeed"/>.</summary>
    public static int SeedFromEnvironment(int defaultSeed)
    {
        string? text = Environment.GetEnvironmentVariable(SeedVariable);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : defaultSeed;
    }

    /// <summary>Re-runs the random schedule of <see cref="RandomScenario"/> for <paramref name="seed"/> (the property test's failing case).</summary>
    public static ScenarioResult Replay(int seed, ScenarioParameters? parameters = null) =>
        RandomScenario.Run(seed, parameters ?? new ScenarioParameters());

    /// <summary>Peer <paramref name="index"/>'s name: the index plus one, under a locally administered prefix.</summary>
    public static PeerName NameOf(int index) => new(NamePrefix | (uint)(index + 1));

    /// <summary>Peer <paramref name="index"/>'s address, <c>10.a.b.c:6783</c>.</summary>
    public static PeerAddress AddressOf(int index, int port = 6783)
    {
        int n = index + 1;
        return new PeerAddress($"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", port);
    }

    /// <summary>Adds a peer and starts its node with the given peers' addresses as targets; returns its index.</summary>
    public int AddPeer(params int[] targetIndexes) => AddPeer(null, targetIndexes);

    /// <summary>Adds a peer of <paramref name="cluster"/> (null: a peer that says no cluster), as <see cref="AddPeer(int[])"/>.</summary>
    public int AddPeerIn(ClusterIdentity cluster, params int[] targetIndexes) => AddPeer(cluster, targetIndexes);

    private int AddPeer(ClusterIdentity? cluster, int[] targetIndexes)
    {
        ArgumentNullException.ThrowIfNull(targetIndexes);
        int index = _peers.Count;
        foreach (int t in targetIndexes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t);
        }
        var peer = new SimulatedPeer(index, NameOf(index), AddressOf(index, Options.Mesh.Port), targetIndexes.ToArray()) { Cluster = cluster };
        _peers.Add(peer);
        _byHost.Add(peer.Address.Host, peer);
        Log($"AddPeer({index} -> [{string.Join(",", targetIndexes)}]{(cluster is null ? "" : $" in {cluster}")})");
        StartNode(peer);
        return index;
    }

    /// <summary>Kills peer <paramref name="index"/> abruptly: no goodbye; its neighbours notice after the detection delay.</summary>
    public void Crash(int index)
    {
        SimulatedPeer peer = _peers[index];
        if (!peer.IsAlive)
        {
            return;
        }
        Log($"Crash({index})");
        Kill(peer, "connection reset by peer (crashed)");
    }

    /// <summary>Stops peer <paramref name="index"/> gracefully: its node closes every connection, then it is gone.</summary>
    public void Leave(int index)
    {
        SimulatedPeer peer = _peers[index];
        if (!peer.IsAlive)
        {
            return;
        }
        Log($"Leave({index})");
        Invoke(peer, n => n.Stop());
        Kill(peer, "connection closed (stopped)");
    }

    /// <summary>Crashes peer <paramref name="index"/> if it runs, then starts a fresh node in its slot: same name, address and targets, new UID.</summary>
    public void Restart(int index)
    {
        SimulatedPeer peer = _peers[index];
        Log($"Restart({index})");
        if (peer.IsAlive)
        {
            Kill(peer, "connection reset by peer (restarted)");
        }
        StartNode(peer);
    }

    /// <summary>
    /// Splits the network: peers talk only to peers of their own group. Peers in none of
    /// <paramref name="groups"/> form one more group together. Connections across groups break
    /// (both ends notice after the detection delay; in-flight messages are lost) and dials across fail.
    /// A new partition replaces the previous one.
    /// </summary>
    public void Partition(params IEnumerable<int>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (SimulatedPeer p in _peers)
        {
            p.Group = 0;
        }
        var described = new List<string>();
        for (int g = 0; g < groups.Length; g++)
        {
            var members = groups[g].ToList();
            foreach (int i in members)
            {
                _peers[i].Group = g + 1;
            }
            described.Add($"[{string.Join(",", members)}]");
        }
        Log($"Partition({string.Join(" | ", described)})");
        foreach (SimulatedPeer p in _peers)
        {
            foreach (SimulatedConnection end in p.OpenEnds.ToList())
            {
                if (!end.Link.Cut && !CanReach(end.Owner, end.Other.Owner))
                {
                    BreakLink(end, "connection timed out (partitioned)");
                }
            }
        }
    }

    /// <summary>Ends any partition: dials across succeed again (connections that broke stay broken).</summary>
    public void Heal()
    {
        Log("Heal()");
        foreach (SimulatedPeer p in _peers)
        {
            p.Group = 0;
        }
    }

    /// <summary>Calls the running node of <paramref name="index"/> on the simulation loop (e.g. Connect, Forget), then reschedules its deadline.</summary>
    public void Do(int index, Action<MeshNode> action, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        SimulatedPeer peer = _peers[index];
        Log(description ?? $"Do({index})");
        Invoke(peer, action);
    }

    private static bool CanReach(SimulatedPeer a, SimulatedPeer b) => a.Group == b.Group;

    private void StartNode(SimulatedPeer peer)
    {
        peer.Incarnation++;
        var identity = new PeerIdentity(peer.Name, peer.NickName, (ulong)_master.NextInt64(1, long.MaxValue)) { Cluster = peer.Cluster };
        var random = new Random(_master.Next());
        var node = new MeshNode(identity, Options.Mesh, new SimulatedTransport(this, peer, peer.Incarnation), _clock, random);
        int incarnation = peer.Incarnation;
        node.PeersRemoved += removed => OnPeersRemoved(peer, incarnation, removed);
        peer.Node = node;
        peer.Identity = identity;
        peer.IsAlive = true;
        peer.TickPending = false;
        peer.TicksAtInstant = 0;
        peer.LastTickAt = -1;
        MarkActivity();
        PeerAddress[] targets = peer.Targets.Select(t => AddressOf(t, Options.Mesh.Port)).ToArray();
        Invoke(peer, n => n.Start(targets));
    }

    private void Kill(SimulatedPeer peer, string reason)
    {
        peer.IsAlive = false;
        peer.TickGeneration++;
        peer.TickPending = false;
        MarkActivity();
        foreach (SimulatedConnection end in peer.OpenEnds.ToList())
        {
            end.Closed = true;
            end.ClosedReported = true;
            BreakLink(end, reason);
        }
        peer.OpenEnds.Clear();
    }

    /// <summary>Cuts the link under <paramref name="end"/>; each end still open learns it after the detection delay.</summary>
    private void BreakLink(SimulatedConnection end, string reason)
    {
        end.Link.CutAt ??= Now;
        long at = _nowTicks + Options.FailureDetectionDelay.Ticks;
        foreach (SimulatedConnection e in new[] { end, end.Other })
        {
            if (!e.Closed)
            {
                Schedule(at, new SimEvent { Kind = SimEventKind.RemoteClosed, End = e, Reason = reason });
            }
        }
    }

    private void OnPeersRemoved(SimulatedPeer observer, int incarnation, IReadOnlyList<PeerRecord> removed)
    {
        MarkActivity();
        if (observer.Incarnation != incarnation)
        {
            Violation($"peer {observer.Index}: a stopped node raised PeersRemoved");
            return;
        }
        foreach (PeerRecord r in removed)
        {
            _removals.Add(new PeerRemoval(observer.Index, r.Name, r.Uid, Now));
        }
        if (Tracing) Trace($"removed at {observer.Index}: {string.Join(",", removed.Select(r => r.Display))}");
    }

    private void Log(string operation) => _schedule.Add($"+{FormatElapsed(Elapsed)} {operation}");

    private void Violation(string what)
    {
        if (_violations.Count < 1000)
        {
            _violations.Add($"+{FormatElapsed(Elapsed)} {what}");
        }
    }

    private string NextEphemeralPort()
    {
        int port = _nextEphemeralPort;
        _nextEphemeralPort = port >= 60999 ? 32768 : port + 1;
        return port.ToString(CultureInfo.InvariantCulture);
    }

    internal static string FormatElapsed(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
}

