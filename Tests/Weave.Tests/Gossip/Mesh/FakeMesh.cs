using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Xunit;

namespace Weave.Tests.Gossip.Mesh;

/// <summary>A connection end for unit tests: records what the node sends and whether it closed it.</summary>
internal sealed class FakeConnection(PeerIdentity remote, bool outbound, string remoteAddress, ulong connectionUid) : IMeshConnection
{
    public PeerIdentity Remote { get; } = remote;
    public bool Outbound { get; } = outbound;
    public string RemoteAddress { get; } = remoteAddress;
    public ulong ConnectionUid { get; } = connectionUid;
    public Queue<(byte Tag, byte[] Body)> Sent { get; } = new();
    public string? ClosedReason { get; private set; }

    /// <summary>The handshake proved the password (a sealed connection).</summary>
    public bool Authenticated { get; init; }

    /// <summary>Null while heartbeats arrive; else when the last thing was heard.</summary>
    public DateTimeOffset? SilentSince { get; set; }

    public DateTimeOffset LastReceived => SilentSince ?? DateTimeOffset.MaxValue;

    /// <summary>What the host would have queued and not yet written: set by a test to act as a peer that does not read.</summary>
    public long SendBacklogBytes { get; set; }

    /// <summary>The other end, when the connection joins two nodes of a <see cref="FakeMesh"/>.</summary>
    public FakeConnection? Peer { get; set; }

    public void Send(byte tag, ReadOnlyMemory<byte> body) => Sent.Enqueue((tag, body.ToArray()));

    public void Close(string reason) => ClosedReason ??= reason;
}

/// <summary>Records dials instead of making them.</summary>
internal sealed class RecordingTransport : IMeshTransport
{
    public List<PeerAddress> Dials { get; } = [];

    public void Dial(PeerAddress address) => Dials.Add(address);
}

/// <summary>
/// A few nodes joined by hand with <see cref="FakeConnection"/> pairs, messages delivered by
/// <see cref="Pump"/> until none are left: enough to test one behaviour at a time. (The
/// simulator in Tests/Simulation is the full in-memory network.)
/// </summary>
internal sealed class FakeMesh
{
    private ulong _nextUid = 100;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public List<MeshNode> Nodes { get; } = [];
    public List<RecordingTransport> Transports { get; } = [];
    public List<(MeshNode Node, FakeConnection Connection)> Connections { get; } = [];

    public static MeshOptions Options => new() { GossipInterval = TimeSpan.FromSeconds(5), Discovery = false };

    public MeshNode Add(int index, MeshOptions? options = null, ulong? uid = null, ClusterIdentity? cluster = null)
    {
        var transport = new RecordingTransport();
        var identity = new PeerIdentity(new PeerName((ulong)index), $"n{index}", uid ?? (ulong)(1000 + index)) { Cluster = cluster };
        var node = new MeshNode(identity, options ?? Options, transport, Time, new Random(index));
        Nodes.Add(node);
        Transports.Add(transport);
        return node;
    }

    /// <summary>
    /// Gives <paramref name="node"/> links to the fake peers <paramref name="first"/> to
    /// <paramref name="last"/> (dialled at 10.0.0.i), each of which it must accept; by peer index.
    /// </summary>
    public static Dictionary<int, FakeConnection> LinkNeighbours(MeshNode node, int first, int last)
    {
        var links = new Dictionary<int, FakeConnection>();
        for (int i = first; i <= last; i++)
        {
            var connection = new FakeConnection(new PeerIdentity(new PeerName((ulong)i), $"n{i}", (ulong)(1000 + i)), outbound: true, $"10.0.0.{i}:6783", (ulong)i);
            Assert.True(node.OnConnected(connection));
            links[i] = connection;
        }
        return links;
    }

    /// <summary>Hands <paramref name="node"/> one topology update holding <paramref name="record"/> from a neighbour, then ticks it.</summary>
    public static void DeliverRecord(MeshNode node, FakeConnection from, PeerRecord record)
    {
        node.OnMessage(from, (byte)FrameTag.TopologyUpdate, TopologyCodec.EncodeRecords([record]));
        node.Tick();
    }

    /// <summary>Connects a (dialler) to b; returns whether both ends accepted.</summary>
    public bool Connect(MeshNode a, MeshNode b)
    {
        ulong uid = _nextUid++;
        var atA = new FakeConnection(b.Self, outbound: true, $"10.0.0.{b.Self.Name.Value}:6783", uid);
        var atB = new FakeConnection(a.Self, outbound: false, $"10.0.0.{a.Self.Name.Value}:40000", uid) { Peer = atA };
        atA.Peer = atB;
        bool acceptedA = a.OnConnected(atA);
        bool acceptedB = b.OnConnected(atB);
        if (acceptedA)
        {
            Connections.Add((a, atA));
        }
        if (acceptedB)
        {
            Connections.Add((b, atB));
        }
        return acceptedA && acceptedB;
    }

    /// <summary>Delivers queued messages (and closes) between connected nodes until quiet; advances time by steps to run timers.</summary>
    public void Pump(TimeSpan? runFor = null)
    {
        TimeSpan remaining = runFor ?? TimeSpan.FromSeconds(1);
        do
        {
            bool moved;
            do
            {
                moved = false;
                foreach (var (node, connection) in Connections.ToList())
                {
                    FakeConnection remote = connection.Peer!;
                    MeshNode? remoteNode = Connections.FirstOrDefault(c => c.Connection == remote).Node;
                    if (connection.ClosedReason is not null && remoteNode is not null && remote.ClosedReason is null)
                    {
                        remote.Close("closed by the peer");
                        remoteNode.OnClosed(remote, "closed by the peer");
                        node.OnClosed(connection, connection.ClosedReason);
                        moved = true;
                    }
                    while (connection.Sent.Count > 0)
                    {
                        var (tag, body) = connection.Sent.Dequeue();
                        if (remoteNode is not null && remote.ClosedReason is null)
                        {
                            remoteNode.OnMessage(remote, tag, body);
                        }
                        moved = true;
                    }
                }
            }
            while (moved);
            Time.Advance(TimeSpan.FromMilliseconds(50));
            remaining -= TimeSpan.FromMilliseconds(50);
            foreach (MeshNode node in Nodes)
            {
                node.Tick();
            }
        }
        while (remaining > TimeSpan.Zero);
    }
}
