namespace Weave.Gossip.Mesh;

/// <summary>One row of <c>weave status connections</c>: an established connection or a target being tried.</summary>
public sealed record ConnectionRow(bool Outbound, string Address, string State, string Info)
{
    /// <summary>A connection whose data is sealed (a password, and not both ends trusting each other: <c>encrypted</c>).</summary>
    public bool Encrypted { get; init; }

    /// <summary>The peer of a connection (not of a target being tried).</summary>
    public PeerName? Peer { get; init; }

    /// <summary>How the data goes straight to the peer (<c>fastdp</c>, <c>vxlan</c>, <c>sleeve</c>),
    /// as the data plane says; null when it was not asked or does not know the peer.</summary>
    public string? Overlay { get; init; }

    /// <summary>Why the data does not take the fast path, when this router runs one; else null.</summary>
    public string? NotFastReason { get; init; }
}

/// <summary>A connection of a peer in <c>weave status peers</c>, seen from that peer.</summary>
public sealed record PeerLink(bool Outbound, string Address, string Peer, bool Established);

/// <summary>A known peer in <c>weave status peers</c> and the connections its record lists.</summary>
public sealed record PeerRow(string Peer, IReadOnlyList<PeerLink> Links)
{
    /// <summary>The cluster its record names; null for a peer that did not say (an older one).</summary>
    public ClusterIdentity? Cluster { get; init; }
}

/// <summary>A snapshot of the mesh, taken on the mesh loop.</summary>
public sealed record MeshStatus(
    PeerIdentity Local,
    IReadOnlyList<ConnectionRow> Connections,
    IReadOnlyList<PeerRow> Peers,
    IReadOnlyList<string> Targets)
{
    public int EstablishedCount => Connections.Count(c => c.State == ConnectionStates.Established);

    /// <summary>Established connections that have ended since the start, whatever the reason (Weave's
    /// <c>weave_connection_terminations_total</c>).</summary>
    public long ConnectionTerminations { get; init; }
}

/// <summary>Connection states with Weave's names, so operators' scripts and habits keep working.</summary>
public static class ConnectionStates
{
    public const string Connecting = "connecting";
    public const string Retrying = "retrying";
    public const string Failed = "failed";
    public const string Established = "established";

    /// <summary>Connected over TCP, but the data path is not (yet) healthy: data is routed around it.</summary>
    public const string Pending = "pending";
}

