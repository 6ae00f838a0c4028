namespace Weave.Gossip.Channels;

/// <summary>
/// What a subsystem (IP allocation next) implements to share state over the mesh, as in
/// weaveworks/mesh: the mesh delivers, the gossiper merges and says what is new. Called on the
/// mesh's loop, never concurrently.
/// </summary>
public interface IGossiper
{
    /// <summary>A message addressed to us alone.</summary>
    void OnUnicast(PeerName source, ReadOnlyMemory<byte> message);

    /// <summary>A broadcast from <paramref name="source"/>; returns what to relay on (the part that was
    /// new to us), or null to stop it here.</summary>
    byte[]? OnBroadcast(PeerName source, ReadOnlyMemory<byte> update);

    /// <summary>A neighbour's state; returns the delta that was new to us (to pass on), or null.</summary>
    byte[]? OnGossip(ReadOnlyMemory<byte> state);

    /// <summary>Our complete state, sent periodically and to new neighbours.</summary>
    byte[] FullState();
}

/// <summary>What a gossiper uses to send, obtained from <c>MeshNode.RegisterChannel</c>.</summary>
public interface IGossipChannel
{
    string Name { get; }

    /// <summary>Sends to one peer, relayed along unicast routes when not a neighbour.</summary>
    void Unicast(PeerName destination, byte[] message);

    /// <summary>Sends to every peer, along our broadcast tree (each peer gets one copy while topology is stable).</summary>
    void Broadcast(byte[] update);

    /// <summary>Sends state to a few random neighbours (anti-entropy).</summary>
    void GossipToNeighbours(byte[] state);
}
