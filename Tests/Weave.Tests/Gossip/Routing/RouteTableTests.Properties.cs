using FsCheck.Xunit;
using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;

namespace Weave.Tests.Gossip.Routing;

public sealed partial class RouteTableTests
{
    private static RouteTable[] TablesOfEveryPeer(Mesh mesh, PeerTopology topology, bool establishedAndSymmetric) =>
        [.. mesh.Names.Select(n => RouteTable.Compute(n, topology, establishedAndSymmetric))];

    /// <summary>Whether <paramref name="from"/> may send to <paramref name="to"/> under the link rule.</summary>
    private static bool Linked(PeerTopology topology, PeerName from, PeerName to, bool establishedAndSymmetric)
    {
        bool Lists(PeerName a, PeerName b) => topology.TryGet(a, out PeerRecord? record) &&
            record.Connections.Any(c => c.Remote == b && (!establishedAndSymmetric || c.Established));
        return Lists(from, to) && (!establishedAndSymmetric || Lists(to, from));
    }

    private static Dictionary<PeerName, int> Distances(PeerTopology topology, PeerName start, bool establishedAndSymmetric)
    {
        var distance = new Dictionary<PeerName, int> { [start] = 0 };
        var queue = new Queue<PeerName>([start]);
        while (queue.TryDequeue(out PeerName current))
        {
            if (!topology.TryGet(current, out PeerRecord? record))
            {
                continue;
            }
            foreach (ConnectionSummary c in record.Connections)
            {
                if (!distance.ContainsKey(c.Remote) && Linked(topology, current, c.Remote, establishedAndSymmetric))
                {
                    distance[c.Remote] = distance[current] + 1;
                    queue.Enqueue(c.Remote);
                }
            }
        }
        return distance;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool NextHops_FromAnyPeer_ReachEveryDestinationOnAShortestPathWithoutLoops(ConnectedMesh connected)
    {
        Mesh mesh = connected.Mesh;
        PeerTopology topology = mesh.Topology();
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            RouteTable[] tables = TablesOfEveryPeer(mesh, topology, establishedAndSymmetric);
            var tableOf = tables.ToDictionary(t => t.Self);
            foreach (RouteTable start in tables)
            {
                Dictionary<PeerName, int> distance = Distances(topology, start.Self, establishedAndSymmetric);
                if (start.Reachable.Count != mesh.Count - 1)
                {
                    return false;
                }
                foreach (PeerName destination in mesh.Names.Where(d => d != start.Self))
                {
                    PeerName current = start.Self;
                    int hops = 0;
                    while (current != destination)
                    {
                        if (!tableOf[current].TryGetNextHop(destination, out PeerName next) ||
                            !Linked(topology, current, next, establishedAndSymmetric) || ++hops > mesh.Count)
                        {
                            return false;
                        }
                        current = next;
                    }
                    if (hops != distance[destination])
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool Broadcast_FromEverySource_DeliversExactlyOneCopyToEveryReachablePeer(Mesh mesh)
    {
        PeerTopology topology = mesh.Topology();
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            var tableOf = TablesOfEveryPeer(mesh, topology, establishedAndSymmetric).ToDictionary(t => t.Self);
            foreach (PeerName source in mesh.Names)
            {
                var copies = mesh.Names.ToDictionary(n => n, _ => 0);
                var inFlight = new Queue<(PeerName From, PeerName To)>();
                foreach (PeerName hop in tableOf[source].BroadcastNextHops(source))
                {
                    inFlight.Enqueue((source, hop));
                }
                int delivered = 0;
                while (inFlight.TryDequeue(out var message))
                {
                    if (!Linked(topology, message.From, message.To, establishedAndSymmetric) || ++delivered > mesh.Count * mesh.Count)
                    {
                        return false;
                    }
                    copies[message.To]++;
                    foreach (PeerName hop in tableOf[message.To].BroadcastNextHops(source))
                    {
                        inFlight.Enqueue((message.To, hop));
                    }
                }
                var reachable = tableOf[source].Reachable.ToHashSet();
                if (mesh.Names.Any(n => copies[n] != (reachable.Contains(n) ? 1 : 0)))
                {
                    return false;
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool BroadcastChildren_OfAllPeers_FormASpanningTreeOfThePartReachableFromTheSource(Mesh mesh)
    {
        PeerTopology topology = mesh.Topology();
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            var tableOf = TablesOfEveryPeer(mesh, topology, establishedAndSymmetric).ToDictionary(t => t.Self);
            foreach (PeerName source in mesh.Names)
            {
                // Any peer's table sees the same topology, so draws the same tree: ask another peer's.
                RouteTable view = tableOf[mesh.Names[^1]];
                var claims = mesh.Names.ToDictionary(n => n, _ => 0);
                foreach (PeerName claimer in mesh.Names)
                {
                    foreach (PeerName child in view.BroadcastChildren(source, claimer))
                    {
                        if (!Linked(topology, claimer, child, establishedAndSymmetric) || child == source)
                        {
                            return false;
                        }
                        claims[child]++;
                    }
                }
                var reachable = tableOf[source].Reachable.ToHashSet();
                if (mesh.Names.Any(n => claims[n] != (reachable.Contains(n) ? 1 : 0)))
                {
                    return false;
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool BroadcastChildren_OfAPeer_AreTheBroadcastNextHopsThatPeerComputes(Mesh mesh)
    {
        PeerTopology topology = mesh.Topology();
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            RouteTable[] tables = TablesOfEveryPeer(mesh, topology, establishedAndSymmetric);
            foreach (PeerName source in mesh.Names)
            {
                foreach (RouteTable view in tables)
                {
                    foreach (RouteTable peer in tables)
                    {
                        if (!view.BroadcastChildren(source, peer.Self).SequenceEqual(peer.BroadcastNextHops(source)))
                        {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool Compute_IsDeterministic_RegardlessOfRecordAndLinkOrder(Mesh mesh, int seed)
    {
        PeerTopology ordered = mesh.Topology(), shuffled = mesh.Topology(new Random(seed));
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            foreach (PeerName self in mesh.Names)
            {
                RouteTable a = RouteTable.Compute(self, ordered, establishedAndSymmetric);
                RouteTable b = RouteTable.Compute(self, shuffled, establishedAndSymmetric);
                if (!a.SameAs(b) || !SameRoutes(a, b, mesh))
                {
                    return false;
                }
            }
        }
        return true;
    }

    [Property(Arbitrary = [typeof(RoutingArbitraries)])]
    public bool SameAs_True_OnlyWhenEveryRouteIsTheSame(Mesh mesh, int seed)
    {
        var random = new Random(seed);
        // Drop a link and flip another's state: often far from some peers, sometimes not.
        List<(int From, int To, bool Established)> links = [.. mesh.Links];
        if (links.Count > 0)
        {
            links.RemoveAt(random.Next(links.Count));
        }
        if (links.Count > 0)
        {
            int flip = random.Next(links.Count);
            links[flip] = links[flip] with { Established = !links[flip].Established };
        }
        Mesh changed = mesh.WithLinks([.. links]);
        PeerTopology before = mesh.Topology(), after = changed.Topology();
        foreach (bool establishedAndSymmetric in new[] { true, false })
        {
            foreach (PeerName self in mesh.Names)
            {
                RouteTable a = RouteTable.Compute(self, before, establishedAndSymmetric);
                RouteTable b = RouteTable.Compute(self, after, establishedAndSymmetric);
                if (a.SameAs(b) != b.SameAs(a) || (a.SameAs(b) && !SameRoutes(a, b, mesh)))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static bool SameRoutes(RouteTable a, RouteTable b, Mesh mesh)
    {
        foreach (PeerName name in mesh.Names)
        {
            bool hasA = a.TryGetNextHop(name, out PeerName hopA), hasB = b.TryGetNextHop(name, out PeerName hopB);
            if (hasA != hasB || hopA != hopB || !a.BroadcastNextHops(name).SequenceEqual(b.BroadcastNextHops(name)))
            {
                return false;
            }
        }
        return a.Reachable.SequenceEqual(b.Reachable);
    }
}
