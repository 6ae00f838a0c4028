using Weave.Gossip.Mesh;
namespace Weave.Router.Mesh;

public sealed partial class MeshConnections
{
    /// <summary>Runs on the mesh loop: the connection table is consistent here.</summary>
    private MeshStatus BuildStatus()
    {
        var rows = new List<ConnectionRow>();
        var peers = new List<PeerRow>();
        var ownLinks = new List<PeerLink>();
        foreach (PeerConnection c in _connections.Values.OrderBy(c => c.Remote.Name))
        {
            rows.Add(new ConnectionRow(c.Outbound, c.RemoteEndPoint.ToString(), ConnectionStates.Established, c.Display));
            ownLinks.Add(new PeerLink(c.Outbound, c.RemoteEndPoint.ToString(), c.Display, Established: true));
        }
        peers.Add(new PeerRow(_local.Display, ownLinks));
        // Until topology gossip arrives we know of other peers only what our own connection to
        // them shows: the same link, seen from their end.
        foreach (PeerConnection c in _connections.Values.OrderBy(c => c.Remote.Name))
        {
            peers.Add(new PeerRow(c.Display, [new PeerLink(!c.Outbound, c.LocalEndPoint.ToString(), _local.Display, Established: true)]));
        }
        foreach (Target target in _targets)
        {
            TargetState state = target.State;
            if (state.State == ConnectionStates.Established)
            {
                continue;
            }
            string info = state.Error ?? "";
            if (state.RetryAt is DateTimeOffset retry)
            {
                info += $", retry: {retry.ToLocalTime():yyyy-MM-dd HH:mm:ss}";
            }
            rows.Add(new ConnectionRow(true, target.Address.ToString(), state.State, info));
        }
        return new MeshStatus(new Weave.Gossip.PeerIdentity(_local.Name, _local.NickName, _local.Uid), rows, peers, [.. _targets.Select(t => t.Address.ToString())]);
    }
}
