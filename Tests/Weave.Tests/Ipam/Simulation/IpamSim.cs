using System.Text;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Ipam.Store;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// A deterministic world of 2..20 allocators: virtual time, one seeded <see cref="Random"/>, and a
/// network that delivers unicasts, broadcasts and gossip in random order, with loss, duplication
/// and partitions; allocators crash (their store survives) and restart. <see cref="CheckSafety"/>
/// is what every step must keep: no address held twice, no overlapping ownership, rings valid.
/// </summary>
internal sealed partial class IpamSim
{
    public const string SeedVariable = "WEAVE_IPAM_SEED";
    private const int TraceLines = 80;

    private readonly List<SimMessage> _network = [];
    private readonly Queue<string> _trace = new();
    private readonly Dictionary<PeerName, SimReplica> _byName = [];
    private readonly Dictionary<(int Replica, string Id), int> _releases = [];
    private readonly Func<SimReplica, IpamOptions, IpamOptions>? _optionsFor;
    private ulong _nextUid = 1;

    public IpamSim(int seed, IpamSimParameters parameters, Func<SimReplica, IpamOptions, IpamOptions>? optionsFor = null)
    {
        _optionsFor = optionsFor;
        Seed = seed;
        Parameters = parameters;
        Random = new Random(seed);
        Time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        for (int i = 0; i < parameters.Replicas; i++)
        {
            var replica = new SimReplica(this, i, NameOf(i));
            Replicas.Add(replica);
            _byName[replica.Name] = replica;
        }
        IpamInit init = parameters.Consensus
            ? IpamInit.Consensus(parameters.Replicas)
            : IpamInit.Seed(Replicas.Take(Math.Max(1, parameters.Replicas - parameters.Joiners)).Select(r => r.Name));
        Options = new IpamOptions(parameters.Range, init) { RequestTimeout = TimeSpan.FromSeconds(30) };
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
    public Random Random { get; }
    public FakeTimeProvider Time { get; }
    public IpamOptions Options { get; }
    public List<SimReplica> Replicas { get; } = [];
    public int Steps { get; private set; }
    public int RefusedRings { get; private set; }
    public int Donations { get; private set; }
    public int Removals { get; private set; }

    public IEnumerable<SimReplica> LiveReplicas => Replicas.Where(r => r.Live);

    public SimReplica? ByName(PeerName name) => _byName.GetValueOrDefault(name);

    public static bool Connected(SimReplica a, SimReplica b) => a.Live && b.Live && a.Group == b.Group;

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
        text.AppendLine($"IPAM simulation failed (seed {Seed}; replay with {SeedVariable}={Seed}): {message}");
        text.AppendLine($"parameters: {Parameters}");
        foreach (string line in _trace)
        {
            text.AppendLine(line);
        }
        return new Xunit.Sdk.XunitException(text.ToString());
    }

    public void Start(SimReplica r)
    {
        r.Start(_optionsFor?.Invoke(r, Options) ?? Options, Time, Random.Next(), _nextUid++);
    }

    // ---- network ----

    public void Send(SimReplica from, SimReplica? to, SimMessageKind kind, byte[] bytes)
    {
        if (to is not null)
        {
            _network.Add(new SimMessage(from, to, kind, bytes));
        }
    }

    public void GossipFrom(SimReplica from, byte[] state)
    {
        SimReplica[] neighbours = [.. Replicas.Where(o => o != from && Connected(from, o))];
        Random.Shuffle(neighbours);
        foreach (SimReplica to in neighbours.Take(2))
        {
            Send(from, to, SimMessageKind.Gossip, state);
        }
    }

    public int InFlight => _network.Count;

    /// <summary>Delivers one message chosen at random (so any order), maybe losing or duplicating it.</summary>
    public void DeliverOne(bool faults, int? index = null)
    {
        if (_network.Count == 0)
        {
            return;
        }
        int at = index ?? Random.Next(_network.Count);
        SimMessage m = _network[at];
        _network[at] = _network[^1];
        _network.RemoveAt(_network.Count - 1);
        if (faults && Random.NextDouble() < Parameters.LossRate)
        {
            return;
        }
        if (faults && Random.NextDouble() < Parameters.DuplicationRate)
        {
            _network.Add(m);
        }
        SimReplica to = m.To!;
        // A crashed sender's messages still arrive (they were on the wire); partitions and dead receivers drop them.
        if (!to.Live || m.From.Group != to.Group)
        {
            return;
        }
        Allocator allocator = to.Allocator!;
        switch (m.Kind)
        {
            case SimMessageKind.Unicast:
                allocator.OnUnicast(m.From.Name, m.Bytes);
                break;
            case SimMessageKind.Broadcast:
                allocator.OnBroadcast(m.From.Name, m.Bytes);
                break;
            case SimMessageKind.Gossip:
                if (allocator.OnGossip(m.Bytes) is byte[] delta)
                {
                    GossipFrom(to, delta);
                }
                break;
        }
    }

    /// <summary>Delivers, without faults, every message <paramref name="from"/> has in flight.</summary>
    public void DeliverFrom(SimReplica from)
    {
        SimMessage[] mine = [.. _network.Where(m => m.From == from)];
        _network.RemoveAll(m => m.From == from);
        foreach (SimMessage m in mine)
        {
            _network.Add(m);
            DeliverOne(faults: false, _network.Count - 1);
        }
    }

    public void DeliverSome(int count, bool faults)
    {
        for (int i = 0; i < count && _network.Count > 0; i++)
        {
            DeliverOne(faults);
        }
    }

    /// <summary>What the mesh does every gossip interval: each live peer's full state to a few neighbours.</summary>
    public void GossipRound(bool everyone)
    {
        foreach (SimReplica r in LiveReplicas.ToList())
        {
            byte[] state = r.Allocator!.FullState();
            if (everyone)
            {
                foreach (SimReplica to in Replicas.Where(o => o != r && Connected(r, o)))
                {
                    Send(r, to, SimMessageKind.Gossip, state);
                }
            }
            else
            {
                GossipFrom(r, state);
            }
        }
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

    // ---- the state every step must keep ----

    /// <summary>The ring and allocations of a replica: from its allocator, or from its store when crashed.</summary>
    public static (Ring Ring, IReadOnlyList<IpamAllocation> Allocations)? StateOf(SimReplica r)
    {
        if (r.Allocator is Allocator a)
        {
            return (a.Ring, a.List());
        }
        IpamState? state = r.Store.Load();
        return state is null ? null : (state.Ring, state.Allocations);
    }

    public void CheckSafety()
    {
        var holders = new Dictionary<uint, (SimReplica Replica, string Id)>();
        var owned = new List<(uint Start, ulong End, SimReplica Replica)>();
        foreach (SimReplica r in Replicas.Where(r => !r.Gone))
        {
            if (StateOf(r) is not var (ring, allocations))
            {
                continue;
            }
            try
            {
                r.Allocator?.CheckInvariants();
                ring.CheckInvariants();
            }
            catch (InvalidOperationException e)
            {
                throw Fail($"{r}: {e.Message}");
            }
            foreach ((uint s, ulong e, _) in ring.OwnedBy(r.Name))
            {
                owned.Add((s, e, r));
            }
            foreach (IpamAllocation a in allocations)
            {
                uint address = Ip4.ToUInt(a.Address);
                if (!Options.Range.Contains(address))
                {
                    continue;
                }
                if (ring.OwnerOf(address) != r.Name)
                {
                    throw Fail($"{r} holds {a} in space it does not own");
                }
                if (holders.TryGetValue(address, out var other))
                {
                    throw Fail($"DUPLICATE ADDRESS {a.Address}: {other.Replica}/{other.Id} and {r}/{a.Id}");
                }
                holders[address] = (r, a.Id);
            }
        }
        owned.Sort((x, y) => x.Start.CompareTo(y.Start));
        ulong maxEnd = 0;
        SimReplica? maxOwner = null;
        foreach ((uint s, ulong e, SimReplica r) in owned)
        {
            if (maxOwner is not null && s < maxEnd && maxOwner != r)
            {
                throw Fail($"OVERLAPPING OWNERSHIP at {Ip4.Format(s)}: {maxOwner} and {r} both think they own it");
            }
            if (e > maxEnd)
            {
                maxEnd = e;
                maxOwner = r;
            }
        }
        if (RefusedRings > 0)
        {
            throw Fail("an allocator refused a ring update (a conflict arose)");
        }
    }
}

internal sealed record IpamSimParameters(int Replicas, int Steps, double LossRate, double DuplicationRate, bool Consensus, Cidr Range, int Joiners)
{
    /// <summary>Parameters drawn from a seed: mostly small meshes, some large; a quarter seeded by consensus.</summary>
    public static IpamSimParameters FromSeed(int seed, int maxReplicas)
    {
        var random = new Random(unchecked(seed * 31 + 17));
        int replicas = random.Next(10) switch
        {
            < 6 => random.Next(2, 5),
            < 9 => random.Next(4, 9),
            _ => random.Next(8, maxReplicas + 1),
        };
        return new IpamSimParameters(
            replicas,
            Steps: random.Next(20, 60),
            LossRate: random.Next(3) == 0 ? 0 : random.NextDouble() * 0.2,
            DuplicationRate: random.NextDouble() * 0.1,
            Consensus: random.Next(4) == 0,
            Range: Cidr.Parse(random.Next(3) == 0 ? "10.32.0.0/26" : "10.32.0.0/24"),
            Joiners: replicas > 2 ? random.Next(0, 2) : 0);
    }
}
