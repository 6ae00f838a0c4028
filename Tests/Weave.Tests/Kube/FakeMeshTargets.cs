using System.Net;
using Weave.Kube;

namespace Weave.Tests.Kube;

internal sealed class FakeMeshTargets : IMeshTargets
{
    private readonly Lock _gate = new();
    private readonly HashSet<IPAddress> _targets = [];

    public FakeMeshTargets(params IPAddress[] initial) => _targets.UnionWith(initial);

    public IReadOnlyList<string> Targets
    {
        get { lock (_gate) { return [.. _targets.Select(t => t.ToString()).Order(StringComparer.Ordinal)]; } }
    }

    public Task AddTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct)
    {
        lock (_gate)
        {
            _targets.UnionWith(peers);
        }
        return Task.CompletedTask;
    }

    public Task RemoveTargetsAsync(IReadOnlyList<IPAddress> peers, CancellationToken ct)
    {
        lock (_gate)
        {
            _targets.ExceptWith(peers);
        }
        return Task.CompletedTask;
    }
}
