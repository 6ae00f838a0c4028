using System.Net;

namespace Weave.Kube;

/// <summary>The router's targets (the peers it dials), as the add-on changes them when Nodes come and go.</summary>
public interface IMeshTargets
{
    Task AddTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct);

    Task RemoveTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct);
}
