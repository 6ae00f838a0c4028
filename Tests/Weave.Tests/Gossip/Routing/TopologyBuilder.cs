using Weave.Gossip;
using Weave.Gossip.Topology;

namespace Weave.Tests.Gossip.Routing;

/// <summary>Builds topologies link by link: each peer gets a record listing its side of every link.</summary>
internal sealed class TopologyBuilder
{
    private readonly SortedDictionary<int, List<ConnectionSummary>> _connections = [];

    public static PeerName Name(int i) => new(0x0200_0000_0000UL + (ulong)i);

    public TopologyBuilder Peer(int peer)
    {
        if (!_connections.ContainsKey(peer))
        {
            _connections.Add(peer, []);
        }
        return this;
    }

    /// <summary>Only <paramref name="from"/> lists <paramref name="to"/>.</summary>
    public TopologyBuilder OneWay(int from, int to, bool established = true)
    {
        Peer(from);
        _connections[from].Add(new ConnectionSummary(Name(to), $"10.0.0.{to}:6783", Outbound: true, established));
        return this;
    }

    /// <summary>Both list each other, in the same state.</summary>
    public TopologyBuilder Link(int a, int b, bool established = true) => OneWay(a, b, established).OneWay(b, a, established);

    public TopologyBuilder Chain(params int[] peers)
    {
        for (int i = 1; i < peers.Length; i++)
        {
            Link(peers[i - 1], peers[i]);
        }
        return this;
    }

    public PeerTopology Build(ulong version = 1)
    {
        var topology = new PeerTopology();
        topology.Merge(_connections.Select(p => new PeerRecord(Name(p.Key), $"host{p.Key}", 1, version, [.. p.Value])));
        return topology;
    }
}
