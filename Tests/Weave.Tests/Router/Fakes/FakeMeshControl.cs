using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Api;
using Weave.Router.Clusters;
using Weave.Router.Launch;

namespace Weave.Tests.Router.Fakes;

/// <summary>Records what the API asked of the mesh; answers status with <see cref="Status"/>.</summary>
internal sealed class FakeMeshControl : IMeshControl
{
    public MeshStatus Status { get; set; } = new(new PeerIdentity(new PeerName(1), "a", 42), [], [], []);

    public List<(IReadOnlyList<PeerAddress> Peers, bool Replace)> Connects { get; } = [];

    public List<IReadOnlyList<PeerAddress>> Forgets { get; } = [];

    /// <summary>When set, connect and forget throw it.</summary>
    public Exception? Failure { get; set; }

    public Task<MeshStatus> StatusAsync(CancellationToken ct) => Task.FromResult(Status);

    /// <summary>What <see cref="ClustersAsync"/> answers: by default our cluster alone, on the default range.</summary>
    public ClusterView Clusters { get; set; } = new(RouterOptions.ClusterFor(RouterOptions.DefaultIpamRange), 1, []);

    public Task<ClusterView> ClustersAsync(CancellationToken ct) => Task.FromResult(Clusters);

    public Task ConnectAsync(IReadOnlyList<PeerAddress> peers, bool replace, CancellationToken ct)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        Connects.Add((peers, replace));
        return Task.CompletedTask;
    }

    public Task ForgetAsync(IReadOnlyList<PeerAddress> peers, CancellationToken ct)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        Forgets.Add(peers);
        return Task.CompletedTask;
    }
}
