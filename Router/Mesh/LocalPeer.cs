using Weave.Gossip;

namespace Weave.Router.Mesh;

/// <summary>Who this router is: its name, nickname, the random UID of this run, and its UDP data port.</summary>
public sealed record LocalPeer(PeerName Name, string NickName, ulong Uid, int DataPort)
{
    public string Display => $"{Name}({NickName})";
}
