using System.Net;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Kube;
using Weave.Kube.Peers;
using Weave.Router.Api;
using Weave.Router.Mesh;

namespace Weave.Router.Kubernetes;

/// <summary>The add-on's hold on the router: targets changed as Nodes come and go, rmpeer for deleted nodes' peers.</summary>
internal sealed class MeshKubeControl : IMeshTargets, IPeerRemover
{
    private readonly MeshHost _mesh;
    private readonly int _port;

    public MeshKubeControl(MeshHost mesh, int port)
    {
        _mesh = mesh;
        _port = port;
    }

    public Task AddTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct) => _mesh.ConnectAsync(Addresses(peers), replace: false, ct);

    public Task RemoveTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct) => _mesh.ForgetAsync(Addresses(peers), ct);

    private PeerAddress[] Addresses(IReadOnlyList<IPAddress> peers) => [.. peers.Select(p => new PeerAddress(p.ToString(), _port))];

    public async Task<PeerRemoval> RemovePeerAsync(string peerName, CancellationToken ct)
    {
        RemovePeerResult result;
        try
        {
            result = await ((IIpamControl)_mesh).RemovePeerAsync(peerName, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return new PeerRemoval(PeerRemovalOutcome.Failed, e.Message);
        }
        return result.Error switch
        {
            IpamErrorKind.None => new PeerRemoval(PeerRemovalOutcome.Removed, result.Message),
            // Nothing was ever allocated: nobody owns space, so nothing is stranded either.
            IpamErrorKind.NotReady or IpamErrorKind.NotFound => new PeerRemoval(PeerRemovalOutcome.Removed, "no address space to take over: " + result.Message),
            IpamErrorKind.Conflict => new PeerRemoval(PeerRemovalOutcome.StillReachable, result.Message),
            _ => new PeerRemoval(PeerRemovalOutcome.Failed, result.Message),
        };
    }
}
