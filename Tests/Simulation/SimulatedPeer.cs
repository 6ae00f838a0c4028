using Weave.Gossip;
using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>
/// One peer slot of a <see cref="SimulatedMesh"/>: a stable index, name and address, and the
/// current incarnation of its <see cref="MeshNode"/> (a restart makes a fresh node with a new UID
/// in the same slot). Owned by the mesh's single simulation loop.
/// </summary>
public sealed class SimulatedPeer
{
    internal SimulatedPeer(int index, PeerName name, PeerAddress address, IReadOnlyList<int> targets)
    {
        Index = index;
        Name = name;
        Address = address;
        Targets = targets;
    }

    public int Index { get; }
    public PeerName Name { get; }
    public string NickName => $"p{Index}";
    public PeerAddress Address { get; }

    /// <summary>The cluster every incarnation of this peer belongs to; null for a peer that says none.</summary>
    public ClusterIdentity? Cluster { get; init; }

    /// <summary>Indexes of the peers whose addresses this peer is started with.</summary>
    public IReadOnlyList<int> Targets { get; }

    /// <summary>The current (or last, when crashed) node; null before the first start.</summary>
    public MeshNode? Node { get; internal set; }

    /// <summary>The identity of the current (or last) incarnation.</summary>
    public PeerIdentity? Identity { get; internal set; }

    public bool IsAlive { get; internal set; }

    /// <summary>Counts starts: 1 for the first node, 2 after the first restart, ...</summary>
    public int Incarnation { get; internal set; }

    /// <summary>Partition group: peers talk only within their group; 0 when not partitioned.</summary>
    internal int Group { get; set; }

    /// <summary>Ends owned by the current incarnation that are not closed yet.</summary>
    internal HashSet<SimulatedConnection> OpenEnds { get; } = [];

    internal DateTimeOffset ScheduledDeadline { get; set; }
    internal bool TickPending { get; set; }
    internal long TickGeneration { get; set; }
    internal long TicksAtInstant { get; set; }
    internal long LastTickAt { get; set; } = -1;

    /// <summary>The running node; throws when the peer is down.</summary>
    public MeshNode LiveNode => IsAlive && Node is not null ? Node : throw new InvalidOperationException($"peer {Index} is not running");

    public override string ToString() => $"{Index}:{Name}({NickName}){(IsAlive ? "" : " down")}";
}
