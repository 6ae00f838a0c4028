using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Channels;
using Weave.Ipam;
using Weave.Ipam.Store;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>One simulated router's IPAM: its store survives crashes; its allocator does not.</summary>
internal sealed class SimReplica : IPeerView
{
    private readonly IpamSim _sim;

    public SimReplica(IpamSim sim, int index, PeerName name, SimCluster cluster)
    {
        _sim = sim;
        Index = index;
        Name = name;
        NickName = $"host{index}";
        Cluster = cluster;
    }

    public int Index { get; }
    public PeerName Name { get; }
    public string NickName { get; }
    public InMemoryIpamStore Store { get; } = new();
    public Allocator? Allocator { get; private set; }

    /// <summary>Gone for good (removed with rmpeer, or handed off and left): its state no longer counts.</summary>
    public bool Gone { get; set; }

    public bool Live => Allocator is not null && !Gone;

    /// <summary>The partition group: replicas in different groups cannot reach each other.</summary>
    public int Group { get; set; }

    public SimCluster Cluster { get; }

    /// <summary>
    /// The allocations this replica's own operations account for: its successful requests, less
    /// what it released. Its allocator's must always be exactly these: no message, from its
    /// cluster or another, adds or takes away an allocation.
    /// </summary>
    public HashSet<(string Id, uint Address)> Held { get; } = [];

    /// <summary>Bumped at every crash, so results of requests issued before it are not checked against the new allocator.</summary>
    public int Epoch { get; private set; }

    public List<Outstanding> Outstanding { get; } = [];

    /// <summary>The peers of our cluster, reachable when the mesh has a path to them through any cluster's routers.</summary>
    public IReadOnlyCollection<IpamPeer> Peers =>
        [.. _sim.PeerViewOf(this).Where(o => o != this && !o.Gone).Select(o => new IpamPeer(o.Name, o.NickName, _sim.Reachable(this, o)))];

    public void Start(IpamOptions options, FakeTimeProvider time, int randomSeed, ulong uid)
    {
        var allocator = new Allocator(Name, NickName, uid, options, Store, this, time, new Random(randomSeed));
        allocator.Log += (_, e) => _sim.OnLog(this, e);
        allocator.Attach(new SimChannel(_sim, this));
        Allocator = allocator;
    }

    public void Crash()
    {
        Allocator = null;
        Outstanding.Clear();
        Epoch++;
    }

    public override string ToString() => _sim.Parameters.Kind == ScheduleKind.Clusters ? $"r{Index}@{Cluster.Name}" : $"r{Index}";

    private sealed class SimChannel(IpamSim sim, SimReplica from) : IGossipChannel
    {
        public string Name => "ipam";

        public void Unicast(PeerName destination, byte[] message) => sim.Send(from, sim.ByName(destination), SimMessageKind.Unicast, message);

        public void Broadcast(byte[] update)
        {
            foreach (SimReplica to in sim.AudienceOf(from))
            {
                if (to != from)
                {
                    sim.Send(from, to, SimMessageKind.Broadcast, update);
                }
            }
        }

        public void GossipToNeighbours(byte[] state) => sim.GossipFrom(from, state);
    }
}

internal enum SimMessageKind
{
    Unicast,
    Broadcast,
    Gossip,
}

internal sealed record SimMessage(SimReplica From, SimReplica? To, SimMessageKind Kind, byte[] Bytes);

/// <summary>A request the schedule made and has not seen complete yet.</summary>
internal sealed record Outstanding(string Id, Cidr? Subnet, System.Net.IPAddress? Claimed, Task<AllocationResult> Task, int Epoch, int ReleasesAtIssue);
