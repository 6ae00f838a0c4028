namespace Weave.Gossip.Mesh;

/// <summary>
/// A control connection whose handshake succeeded, as the mesh sees it: the host (real TCP in the
/// router, in-memory in the simulator) owns the bytes; the mesh only sends messages and closes.
/// <see cref="Send"/> must not block: the host queues, within a bound of its own (a peer that
/// does not read is dropped), and says through <see cref="SendBacklogBytes"/> how much waits, so
/// the node holds back what it can coalesce.
/// </summary>
public interface IMeshConnection
{
    PeerIdentity Remote { get; }

    /// <summary>We dialled it.</summary>
    bool Outbound { get; }

    /// <summary>The remote's address as <c>ip:port</c>: for outbound connections the address we dialled.</summary>
    string RemoteAddress { get; }

    /// <summary>The same value at both ends (XOR of both sides' random connection IDs).</summary>
    ulong ConnectionUid { get; }

    /// <summary>
    /// The data between us is sealed: both ends have the password and not both trust the other's
    /// address (<c>--trusted-subnets</c>); shown as <c>encrypted</c> in status. With a password the
    /// control frames are sealed either way.
    /// </summary>
    bool Encrypted => false;

    /// <summary>
    /// The handshake proved the peer holds the mesh's password (with one, every control
    /// connection is sealed). Without a password anyone can claim any name.
    /// </summary>
    bool Authenticated => false;

    /// <summary>When the last frame from the peer arrived, heartbeats included (a live peer sends one every 10 s).</summary>
    DateTimeOffset LastReceived { get; }

    /// <summary>Bytes queued for the peer that its socket has not taken yet (0 for a host that does not queue).</summary>
    long SendBacklogBytes => 0;

    /// <summary>Queues one message (a frame tag and its body) for the peer.</summary>
    void Send(byte tag, ReadOnlyMemory<byte> body);

    /// <summary>Closes the connection; the host then reports <c>MeshNode.OnClosed</c>.</summary>
    void Close(string reason);
}
