using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// How frames leave this peer, decided once per change of neighbours or data routes and swapped in
/// whole, so the data threads resolve a frame with a dictionary lookup and no allocation:
/// <list type="bullet">
/// <item>for each peer we can reach, the neighbour to hand its frames to and the
///   <see cref="Encapsulation"/> for it: VXLAN when that neighbour is the peer itself, the sleeve
///   when it relays;</item>
/// <item>our own flood: the neighbours of our broadcast tree, each with its encapsulation: the
///   sleeve, naming it, when it relays further, VXLAN when it is a leaf;</item>
/// <item>the data route table, for relaying other peers' floods down their trees.</item>
/// </list>
/// A neighbour whose data is sealed is never sent VXLAN: its frames go by sleeve (a unicast naming
/// the neighbour itself, a flood naming it as the next peer), which carries the seal. Nor is one
/// on the <see cref="NeighbourPath.Kernel"/> or <see cref="NeighbourPath.Sleeve"/> path: the
/// router's own frames go to it by sleeve (its kernel, not its router, would read our VXLAN).
/// A neighbour the route table does not list yet (its record has not come back by gossip, or no
/// routes are set) is still sent to directly: a TCP connection is up, so the path is presumed good,
/// as before routes existed. Immutable.
/// </summary>
public sealed class ForwardingPlan
{
    private readonly Dictionary<PeerName, PeerRoute> _routes;
    private readonly Dictionary<PeerName, DataPeer> _neighbours;

    private ForwardingPlan(PeerName self, DataPeer[] neighbours, RouteTable? routes)
    {
        Self = self;
        Neighbours = neighbours;
        Routes = routes;
        _neighbours = neighbours.ToDictionary(n => n.Name);
        _routes = [];
        var flood = new List<FloodHop>();
        if (routes is not null)
        {
            foreach (PeerName destination in routes.Reachable)
            {
                if (routes.TryGetNextHop(destination, out PeerName hop) && _neighbours.TryGetValue(hop, out DataPeer? via))
                {
                    _routes[destination] = new PeerRoute(via, hop == destination ? Direct(via) : Relayed(via));
                }
            }
            foreach (PeerName hop in routes.BroadcastNextHops(self))
            {
                if (_neighbours.TryGetValue(hop, out DataPeer? via))
                {
                    flood.Add(new FloodHop(via, routes.BroadcastChildren(self, hop).Count > 0 ? Relayed(via) : Direct(via)));
                }
            }
        }
        foreach (DataPeer neighbour in neighbours)
        {
            if (_routes.TryAdd(neighbour.Name, new PeerRoute(neighbour, Direct(neighbour))))
            {
                flood.Add(new FloodHop(neighbour, Direct(neighbour))); // not in the routes at all: no tree reaches it
            }
        }
        Flood = [.. flood];
    }

    /// <summary>How frames go to a neighbour that is their destination (or a leaf of our flood).</summary>
    private static Encapsulation Direct(DataPeer neighbour) =>
        neighbour.Seals ? Encapsulation.SealedSleeve : neighbour.Path == NeighbourPath.Vxlan ? Encapsulation.Vxlan : Encapsulation.Sleeve;

    /// <summary>How frames go to a neighbour that passes them on: a header naming who they are for.</summary>
    private static Encapsulation Relayed(DataPeer neighbour) => neighbour.Seals ? Encapsulation.SealedSleeve : Encapsulation.Sleeve;

    public static ForwardingPlan Empty(PeerName self) => new(self, [], null);

    public static ForwardingPlan Build(PeerName self, DataPeer[] neighbours, RouteTable? routes)
    {
        ArgumentNullException.ThrowIfNull(neighbours);
        return new(self, neighbours, routes);
    }

    public PeerName Self { get; }

    public DataPeer[] Neighbours { get; }

    /// <summary>The data routes this plan follows, or null before the control plane set any.</summary>
    public RouteTable? Routes { get; }

    /// <summary>Where a frame we capture for an unknown, broadcast or multicast MAC goes.</summary>
    public FloodHop[] Flood { get; }

    /// <summary>Every destination and how it is reached, in name order (for the report).</summary>
    public IReadOnlyList<(PeerName Destination, PeerRoute Route)> AllRoutes() =>
        [.. _routes.OrderBy(r => r.Key).Select(r => (r.Key, r.Value))];

    public bool TryGetRoute(PeerName destination, out PeerRoute route) => _routes.TryGetValue(destination, out route);

    public bool TryGetNeighbour(PeerName name, out DataPeer neighbour) => _neighbours.TryGetValue(name, out neighbour!);

    /// <summary>The neighbour whose VXLAN address sent a datagram, or null.</summary>
    public DataPeer? FindByVxlanAddress(in UdpEndpoint source)
    {
        foreach (DataPeer peer in Neighbours)
        {
            if (peer.Address.Equals(source))
            {
                return peer;
            }
        }
        return null;
    }

    /// <summary>The neighbour whose sleeve address sent a datagram, or null.</summary>
    public DataPeer? FindBySleeveAddress(in UdpEndpoint source)
    {
        foreach (DataPeer peer in Neighbours)
        {
            if (peer.SleeveAddress.Equals(source))
            {
                return peer;
            }
        }
        return null;
    }
}
