namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// The mesh as the router makes it: every replica links to every other in its partition group,
/// unless that link is cut; a message travels over links, relayed by live replicas of any cluster,
/// but only allocators of the sender's cluster are handed it (channel <c>ipam:&lt;cluster&gt;</c>:
/// another cluster's router relays it without understanding it).
/// </summary>
internal sealed partial class IpamSim
{
    private readonly List<SimMessage> _network = [];
    private readonly HashSet<(int, int)> _cutLinks = [];

    /// <summary>The first message an allocator addressed to a peer of another cluster, which a correct one never does.</summary>
    private string? _crossClusterSend;

    public int InFlight => _network.Count;

    /// <summary>Messages that reached their allocator only through a relay, the direct link being cut.</summary>
    public int RelayedDeliveries { get; private set; }

    /// <summary>Cuts the direct link between two replicas; they may still reach each other through others.</summary>
    public void CutLink(SimReplica a, SimReplica b) => _cutLinks.Add(LinkOf(a, b));

    public int CutLinkCount => _cutLinks.Count;

    private static (int, int) LinkOf(SimReplica a, SimReplica b) => a.Index < b.Index ? (a.Index, b.Index) : (b.Index, a.Index);

    private bool Linked(SimReplica a, SimReplica b) => a.Group == b.Group && !_cutLinks.Contains(LinkOf(a, b));

    /// <summary>
    /// Whether what <paramref name="from"/> sends reaches <paramref name="to"/> now: over links
    /// through live replicas of any cluster (of <paramref name="relaysOf"/> only, when given). The
    /// sender's own state does not matter: what it sent before it crashed is on the wire.
    /// </summary>
    public bool PathExists(SimReplica from, SimReplica to, SimCluster? relaysOf = null)
    {
        if (from.Group != to.Group)
        {
            return false;
        }
        if (_cutLinks.Count == 0 || Linked(from, to))
        {
            return true;
        }
        var seen = new bool[Replicas.Count];
        var queue = new Queue<SimReplica>();
        seen[from.Index] = true;
        queue.Enqueue(from);
        while (queue.TryDequeue(out SimReplica? at))
        {
            foreach (SimReplica next in Replicas)
            {
                if (seen[next.Index] || !next.Live || !Linked(at, next))
                {
                    continue;
                }
                if (next == to)
                {
                    return true;
                }
                if (relaysOf is not null && next.Cluster != relaysOf)
                {
                    continue;
                }
                seen[next.Index] = true;
                queue.Enqueue(next);
            }
        }
        return false;
    }

    /// <summary>Whether two live replicas can reach each other now, directly or relayed: what the peer view reports.</summary>
    public bool Reachable(SimReplica a, SimReplica b) => a.Live && b.Live && PathExists(a, b);

    /// <summary>The allocators a replica's IPAM messages are handed to: its cluster's (all of them, under <see cref="SimFaults.GossipLeak"/>).</summary>
    public IReadOnlyList<SimReplica> AudienceOf(SimReplica from) => Faults.HasFlag(SimFaults.GossipLeak) ? Replicas : from.Cluster.Members;

    /// <summary>The peers a replica's allocator is told of: its cluster's (all, under <see cref="SimFaults.PeerViewLeak"/>).</summary>
    public IReadOnlyList<SimReplica> PeerViewOf(SimReplica r) => Faults.HasFlag(SimFaults.PeerViewLeak) ? Replicas : r.Cluster.Members;

    public void Send(SimReplica from, SimReplica? to, SimMessageKind kind, byte[] bytes)
    {
        if (to is null)
        {
            return;
        }
        if (to.Cluster != from.Cluster && !Faults.HasFlag(SimFaults.GossipLeak))
        {
            // The router would find no channel for it there; an allocator that tries has learnt of a foreign peer.
            _crossClusterSend ??= $"{from} of {from.Cluster} sent a {kind} to {to} of {to.Cluster}";
            return;
        }
        _network.Add(new SimMessage(from, to, kind, bytes));
    }

    public void GossipFrom(SimReplica from, byte[] state)
    {
        SimReplica[] neighbours = [.. AudienceOf(from).Where(o => o != from && Reachable(from, o))];
        Random.Shuffle(neighbours);
        foreach (SimReplica to in neighbours.Take(2))
        {
            Send(from, to, SimMessageKind.Gossip, state);
        }
    }

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
        if (!to.Live || !PathExists(m.From, to, Faults.HasFlag(SimFaults.NoForeignRelay) ? m.From.Cluster : null))
        {
            return;
        }
        if (_cutLinks.Count > 0 && !Linked(m.From, to))
        {
            RelayedDeliveries++;
        }
        Weave.Ipam.Allocator allocator = to.Allocator!;
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

    /// <summary>Delivers, without faults and in random order, the messages of one cluster until none is left; the others wait.</summary>
    public void DeliverWithin(SimCluster cluster)
    {
        var indexes = new List<int>();
        while (true)
        {
            indexes.Clear();
            for (int i = 0; i < _network.Count; i++)
            {
                if (_network[i].From.Cluster == cluster)
                {
                    indexes.Add(i);
                }
            }
            if (indexes.Count == 0)
            {
                return;
            }
            DeliverOne(faults: false, indexes[Random.Next(indexes.Count)]);
        }
    }

    public void DeliverSome(int count, bool faults)
    {
        for (int i = 0; i < count && _network.Count > 0; i++)
        {
            DeliverOne(faults);
        }
    }

    /// <summary>What the mesh does every gossip interval: each live peer's full state to a few neighbours (or all).</summary>
    public void GossipRound(bool everyone, SimCluster? only = null)
    {
        foreach (SimReplica r in LiveReplicas.Where(r => only is null || r.Cluster == only).ToList())
        {
            byte[] state = r.Allocator!.FullState();
            if (everyone)
            {
                foreach (SimReplica to in AudienceOf(r).Where(o => o != r && Reachable(r, o)))
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

    /// <summary>Puts everyone back in one group with every link up.</summary>
    private void Heal()
    {
        foreach (SimReplica x in Replicas)
        {
            x.Group = 0;
        }
        _cutLinks.Clear();
        Trace("heal");
    }
}
