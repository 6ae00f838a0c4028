namespace Weave.Gossip.Mesh;

/// <summary>
/// How the mesh reaches out: dialling is asynchronous, and its outcome comes back to the node as
/// <c>MeshNode.OnConnected</c> (after a successful handshake) or <c>MeshNode.OnDialFailed</c>.
/// </summary>
public interface IMeshTransport
{
    void Dial(PeerAddress address);
}
